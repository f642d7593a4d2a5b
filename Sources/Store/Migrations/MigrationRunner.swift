import Logging

/// Applies the `NNNN_name.sql` files of a directory to a database, in order,
/// each pending one in its own transaction:
///
///     BEGIN; <the file>; INSERT INTO schema_migrations (version, name) ...; COMMIT
///
/// A failing file is rolled back and reported with its name and PostgreSQL's
/// message; the files before it stay applied. `schema_migrations` is created
/// when absent, and a session advisory lock is held throughout so that two
/// migrators (two hosts starting at once) apply each file once.
///
/// The files are checked before anything is sent: numbers must run 1, 2, 3...
/// with no duplicate and no gap, and every `.sql` file must be named
/// `NNNN_name.sql` (other files, such as a README, are ignored).
public struct MigrationRunner: Sendable {
  /// The directory holding `NNNN_name.sql` files.
  public let directory: String
  private let logger: Logger?

  /// `pg_advisory_lock` key: "didtron" in ASCII.
  static let advisoryLockKey: Int64 = 0x64_6964_7472_6f6e

  public init(directory: String, logger: Logger? = nil) {
    self.directory = directory
    self.logger = logger
  }

  /// The migrations of `directory`, checked and in version order.
  public func migrations() throws -> [Migration] {
    let names: [String]
    do {
      names = try Directory.entries(directory)
    } catch let error as FileSystemError {
      throw MigrationError.unreadableDirectory(path: directory, reason: error.reason)
    }
    var migrations: [Migration] = []
    for name in names where name.hasSuffix(".sql") {
      guard let migration = Migration.parse(fileName: name, directory: directory) else {
        throw MigrationError.badFileName(path: directory + "/" + name)
      }
      migrations.append(migration)
    }
    migrations.sort { ($0.version, $0.name) < ($1.version, $1.name) }
    guard !migrations.isEmpty else { throw MigrationError.noMigrations(directory: directory) }
    for (index, migration) in migrations.enumerated() {
      if index > 0, migrations[index - 1].version == migration.version {
        throw MigrationError.duplicateVersion(
          migration.version, files: [migrations[index - 1].fileName, migration.fileName])
      }
      let expected = (index == 0 ? 0 : migrations[index - 1].version) + 1
      guard migration.version == expected else {
        throw MigrationError.gap(expected: expected, found: migration.fileName)
      }
    }
    return migrations
  }

  /// The highest version among the files.
  public func latestVersion() throws -> Int {
    try migrations().last!.version
  }

  /// Connects to `databaseURL` and applies every pending migration. Returns
  /// the migrations applied now (empty when the database was up to date).
  @discardableResult
  public func run(databaseURL: String) throws -> [Migration] {
    let migrations = try migrations()
    let connection: PGConnection
    do {
      connection = try PGConnection(url: databaseURL)
    } catch let error as PGError {
      throw MigrationError.cannotConnect(reason: error.message)
    }
    return try run(migrations, on: connection)
  }

  /// Applies the pending ones of `migrations` over `connection`.
  public func run(_ migrations: [Migration], on connection: PGConnection) throws -> [Migration] {
    do {
      try connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
    } catch let error as PGError {
      throw MigrationError.database(message: error.message)
    }
    defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))") }

    var applied: [Int: String] = [:]
    do {
      try connection.execute(
        script: """
          CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
          )
          """)
      let rows = try connection.query("SELECT version, name FROM schema_migrations ORDER BY version")
      for row in 0..<rows.rowCount {
        if let version = rows.string(row, 0).flatMap({ Int($0) }) {
          applied[version] = rows.string(row, 1) ?? ""
        }
      }
    } catch let error as PGError {
      throw MigrationError.database(message: error.message)
    }

    let latest = migrations.last?.version ?? 0
    if let newest = applied.keys.max(), newest > latest {
      throw MigrationError.databaseAhead(database: newest, files: latest)
    }
    for migration in migrations {
      if let name = applied[migration.version], name != migration.name {
        throw MigrationError.nameMismatch(
          version: migration.version, database: name, file: migration.fileName)
      }
    }

    var done: [Migration] = []
    for migration in migrations where applied[migration.version] == nil {
      let script = try Self.read(migration)
      logger?.info("applying migration", metadata: ["file": "\(migration.fileName)"])
      do {
        try connection.execute(script: "BEGIN")
        do {
          try connection.execute(script: script)
        } catch var error as PGError {
          // Point at the line of the file rather than a character offset.
          if let position = error.position {
            error.message = "line \(Self.line(ofCharacter: position, in: script)): " + error.message
          }
          throw error
        }
        try connection.query(
          "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
        try connection.execute(script: "COMMIT")
      } catch let error as PGError {
        _ = try? connection.execute(script: "ROLLBACK")
        throw MigrationError.failed(file: migration.fileName, message: error.description)
      }
      done.append(migration)
    }
    return done
  }

  /// The 1-based line of the 1-based character `position` of `text`.
  static func line(ofCharacter position: Int, in text: String) -> Int {
    1 + text.unicodeScalars.prefix(max(0, position - 1)).count { $0 == "\n" }
  }

  private static func read(_ migration: Migration) throws -> String {
    let bytes: [UInt8]
    do {
      bytes = try Directory.readFile(migration.path)
    } catch let error as FileSystemError {
      throw MigrationError.unreadableFile(path: migration.path, reason: error.reason)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw MigrationError.unreadableFile(path: migration.path, reason: "not valid UTF-8")
    }
    return text
  }
}
