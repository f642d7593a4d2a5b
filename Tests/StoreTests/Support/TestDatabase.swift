import Store
import Testing

/// A database of its own for one test, on the server of
/// `DIDTRON_TEST_DATABASE_URL`, with a random name; dropped by `drop()`.
struct TestDatabase {
  let name: String
  let url: String

  /// Creates an empty database (no migrations applied).
  static func create() throws -> TestDatabase {
    let admin = TestEnvironment.databaseURL!
    let name = "didtron_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    try PGConnection(url: admin).execute(script: "CREATE DATABASE \(name)")
    return TestDatabase(name: name, url: Self.url(admin, database: name))
  }

  /// Creates a database and applies the test migrations.
  static func createMigrated() throws -> TestDatabase {
    let database = try create()
    try MigrationRunner(directory: TestEnvironment.migrationsDirectory).run(databaseURL: database.url)
    return database
  }

  func drop() {
    do {
      try PGConnection(url: TestEnvironment.databaseURL!).execute(
        script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    } catch {
      Issue.record("cannot drop the test database \(name): \(error)")
    }
  }

  /// Runs `body` with a fresh database, dropped afterwards whatever happens.
  static func with<T>(migrated: Bool = true, _ body: (TestDatabase) throws -> T) throws -> T {
    let database = try migrated ? createMigrated() : create()
    defer { database.drop() }
    return try body(database)
  }

  static func with<T>(migrated: Bool = true, _ body: (TestDatabase) async throws -> T) async throws -> T {
    let database = try migrated ? createMigrated() : create()
    defer { database.drop() }
    return try await body(database)
  }

  /// One value of the first row.
  func scalar(_ query: PGQuery) throws -> String? {
    try PGConnection(url: url).query(query).string(0, 0)
  }

  func count(_ table: String = "calls") throws -> Int {
    Int(try scalar(PGQuery(unsafeSQL: "SELECT count(*) FROM \(table)")) ?? "") ?? -1
  }

  /// `url` with its database replaced by `database`: the path of a URI, or a
  /// `dbname=` added to a conninfo string.
  static func url(_ url: String, database: String) -> String {
    guard let scheme = url.firstRange(of: "://") else { return url + " dbname=" + database }
    let rest = url[scheme.upperBound...]
    let query = rest.firstIndex(of: "?")
    let authorityEnd = rest[..<(query ?? rest.endIndex)].firstIndex(of: "/") ?? query ?? rest.endIndex
    return String(url[..<authorityEnd]) + "/" + database + String(url[(query ?? url.endIndex)...])
  }
}
