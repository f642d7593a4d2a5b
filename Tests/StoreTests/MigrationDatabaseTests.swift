import Testing

@testable import Store

@Suite(
  "Migrations against PostgreSQL",
  .enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
struct MigrationDatabaseTests {
  static let runner = MigrationRunner(directory: TestEnvironment.migrationsDirectory)

  @Test func applyToAnEmptyDatabaseThenNothingIsPending() throws {
    try TestDatabase.with(migrated: false) { database in
      let all = try Self.runner.migrations()
      #expect(try SchemaVersion.check(databaseURL: database.url, binary: all.last!.version) == .empty)
      let applied = try Self.runner.run(databaseURL: database.url)
      #expect(applied == all)
      #expect(try database.count("schema_migrations") == all.count)
      #expect(try database.scalar("SELECT to_regclass('calls') IS NOT NULL") == "t")
      #expect(try Self.runner.run(databaseURL: database.url).isEmpty)
      #expect(try SchemaVersion.check(databaseURL: database.url, binary: all.last!.version) == .current)
      #expect(
        try SchemaVersion.check(databaseURL: database.url, binary: all.last!.version + 1)
          == .behind(database: all.last!.version, binary: all.last!.version + 1))
    }
  }

  @Test func oneMigrationMissingIsBehindAndMigratingCatchesUp() throws {
    let all = try Self.runner.migrations()
    let partial = TemporaryDirectory()
    defer { partial.remove() }
    for migration in all.dropLast() {
      partial.write(migration.fileName, try Directory.readFile(migration.path))
    }
    try TestDatabase.with(migrated: false) { database in
      try MigrationRunner(directory: partial.path).run(databaseURL: database.url)
      let latest = all.last!.version
      #expect(
        try SchemaVersion.check(databaseURL: database.url, binary: latest)
          == .behind(database: latest - 1, binary: latest))
      #expect(try Self.runner.run(databaseURL: database.url) == [all.last!])
      #expect(try SchemaVersion.check(databaseURL: database.url, binary: latest) == .current)
      // A binary with fewer migrations than the database refuses to touch it.
      #expect(throws: MigrationError.databaseAhead(database: latest, files: latest - 1)) {
        try MigrationRunner(directory: partial.path).run(databaseURL: database.url)
      }
      #expect(
        try SchemaVersion.check(databaseURL: database.url, binary: latest - 1)
          == .ahead(database: latest, binary: latest - 1))
    }
  }

  @Test func aFailingFileIsRolledBackAndNamed() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    directory.write("0001_good.sql", Array("CREATE TABLE good (id integer);".utf8))
    directory.write("0002_bad.sql", Array("CREATE TABLE half (id integer);\nSELECT no_such_function();".utf8))
    try TestDatabase.with(migrated: false) { (database: TestDatabase) throws in
      #expect {
        try MigrationRunner(directory: directory.path).run(databaseURL: database.url)
      } throws: { error in
        guard case .failed(let file, let message) = error as? MigrationError else { return false }
        return file == "0002_bad.sql"
          && message.contains("line 2: function no_such_function() does not exist")
      }
      #expect(try database.scalar("SELECT max(version) FROM schema_migrations") == "1")
      #expect(try database.scalar("SELECT to_regclass('good') IS NOT NULL") == "t")
      #expect(try database.scalar("SELECT to_regclass('half') IS NULL") == "t")
    }
  }

  @Test func twoMigratorsAtOnceApplyEachFileOnce() async throws {
    try await TestDatabase.with(migrated: false) { database in
      let url = database.url
      async let first = Task.detached { try Self.runner.run(databaseURL: url).count }.value
      async let second = Task.detached { try Self.runner.run(databaseURL: url).count }.value
      let counts = try await [first, second]
      #expect(counts.sorted() == [0, try Self.runner.migrations().count])
    }
  }

  @Test func anUnreachableDatabaseIsSaidPlainly() {
    #expect {
      try Self.runner.run(databaseURL: "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2")
    } throws: { error in
      guard case .cannotConnect(let reason) = error as? MigrationError else { return false }
      return (error as? MigrationError)?.description.hasPrefix("cannot connect to the database: ") == true
        && !reason.isEmpty
    }
  }
}
