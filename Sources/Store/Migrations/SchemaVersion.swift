/// Whether the database schema is the one this binary was built for: the
/// highest version recorded in `schema_migrations` against
/// `expectedSchemaVersion`. `didtron-switch run` refuses to start unless it
/// is `.current`.
public enum SchemaVersion: Sendable, Equatable, CustomStringConvertible {
  /// The schema version this build of the switch needs: the number of the
  /// highest file in `Migrations/`. A test (`SchemaVersionTests`) keeps the
  /// two equal; raise it with every new migration file.
  public static let expectedSchemaVersion: Int = 25

  /// The database is at `expectedSchemaVersion`.
  case current
  /// The database lacks migrations this binary needs.
  case behind(database: Int, binary: Int)
  /// The database has migrations this binary does not know (a newer binary migrated it).
  case ahead(database: Int, binary: Int)
  /// No migration was ever applied (no `schema_migrations`, or it is empty).
  case empty

  /// The version as seen by a binary that expects `binary`, given the
  /// database's highest applied version (nil when none).
  public init(database: Int?, binary: Int = SchemaVersion.expectedSchemaVersion) {
    switch database {
    case nil: self = .empty
    case let version? where version == binary: self = .current
    case let version? where version < binary: self = .behind(database: version, binary: binary)
    case let version?: self = .ahead(database: version, binary: binary)
    }
  }

  /// Connects to `databaseURL` and compares its schema with `binary`.
  /// Throws `MigrationError.cannotConnect` or `.database`.
  public static func check(databaseURL: String, binary: Int = expectedSchemaVersion) throws -> SchemaVersion {
    let connection: PGConnection
    do {
      connection = try PGConnection(url: databaseURL)
    } catch let error as PGError {
      throw MigrationError.cannotConnect(reason: error.message)
    }
    return try check(connection: connection, binary: binary)
  }

  /// Compares the schema of the database `connection` is connected to with `binary`.
  public static func check(connection: PGConnection, binary: Int = expectedSchemaVersion) throws
    -> SchemaVersion
  {
    do {
      let table = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
      guard table.string(0, 0) == "t" else { return .empty }
      let result = try connection.query("SELECT max(version) FROM schema_migrations")
      return SchemaVersion(database: result.string(0, 0).flatMap { Int($0) }, binary: binary)
    } catch let error as PGError {
      throw MigrationError.database(message: error.message)
    }
  }

  /// What the operator is told; for `.current` a plain statement.
  public var description: String {
    switch self {
    case .current:
      "database schema is at version \(Self.expectedSchemaVersion)"
    case .behind(let database, let binary):
      "database schema is at version \(database), this binary needs \(binary): run `didtron-switch migrate`"
    case .ahead(let database, let binary):
      "database schema is at version \(database), newer than this binary's \(binary): "
        + "upgrade didtron-switch (a newer release migrated this database)"
    case .empty:
      "database has no schema (no migration applied), this binary needs version "
        + "\(Self.expectedSchemaVersion): run `didtron-switch migrate`"
    }
  }
}
