import Testing

@testable import Store

@Suite("MigrationRunner: reading the migrations directory")
struct MigrationRunnerTests {
  static func directory(_ files: [String: String]) -> TemporaryDirectory {
    let directory = TemporaryDirectory()
    for (name, text) in files { directory.write(name, Array(text.utf8)) }
    return directory
  }

  @Test func readsFilesInVersionOrderIgnoringOtherFiles() throws {
    let directory = Self.directory([
      "0002_rates.sql": "", "0001_initial.sql": "", "0010_late.sql": "", "README.md": "",
      "0003_a-b.sql": "", "0004_x.sql": "", "0005_x.sql": "", "0006_x.sql": "", "0007_x.sql": "",
      "0008_x.sql": "", "0009_x.sql": "",
    ])
    defer { directory.remove() }
    let migrations = try MigrationRunner(directory: directory.path).migrations()
    #expect(migrations.map(\.version) == Array(1...10))
    #expect(migrations.first?.name == "initial")
    #expect(migrations.first?.fileName == "0001_initial.sql")
    #expect(migrations.last?.path == directory.path + "/0010_late.sql")
  }

  @Test func refusesDuplicates() {
    let directory = Self.directory(["0001_a.sql": "", "0002_b.sql": "", "0002_c.sql": ""])
    defer { directory.remove() }
    #expect(throws: MigrationError.duplicateVersion(2, files: ["0002_b.sql", "0002_c.sql"])) {
      try MigrationRunner(directory: directory.path).migrations()
    }
  }

  @Test func refusesGaps() {
    let directory = Self.directory(["0001_a.sql": "", "0003_c.sql": ""])
    defer { directory.remove() }
    #expect(throws: MigrationError.gap(expected: 2, found: "0003_c.sql")) {
      try MigrationRunner(directory: directory.path).migrations()
    }
    let late = Self.directory(["0002_b.sql": ""])
    defer { late.remove() }
    #expect(throws: MigrationError.gap(expected: 1, found: "0002_b.sql")) {
      try MigrationRunner(directory: late.path).migrations()
    }
  }

  @Test func refusesBadNamesAndEmptyDirectories() {
    let bad = Self.directory(["0001_a.sql": "", "2_b c.sql": ""])
    defer { bad.remove() }
    #expect(throws: MigrationError.badFileName(path: bad.path + "/2_b c.sql")) {
      try MigrationRunner(directory: bad.path).migrations()
    }
    let empty = Self.directory(["notes.txt": ""])
    defer { empty.remove() }
    #expect(throws: MigrationError.noMigrations(directory: empty.path)) {
      try MigrationRunner(directory: empty.path).migrations()
    }
    #expect(throws: MigrationError.self) { try MigrationRunner(directory: "/nonexistent/dir").migrations() }
  }

  @Test func errorsSayWhatToDo() {
    #expect(
      SchemaVersion.behind(database: 1, binary: 2).description
        == "database schema is at version 1, this binary needs 2: run `didtron-switch migrate`")
    #expect(SchemaVersion(database: nil, binary: 2) == .empty)
    #expect(SchemaVersion(database: 2, binary: 2) == .current)
    #expect(SchemaVersion(database: 1, binary: 2) == .behind(database: 1, binary: 2))
    #expect(SchemaVersion(database: 3, binary: 2) == .ahead(database: 3, binary: 2))
    #expect(
      MigrationError.failed(file: "0002_x.sql", message: "PostgreSQL 42601: syntax error").description
        == "0002_x.sql failed and was rolled back: PostgreSQL 42601: syntax error")
  }
}

@Suite("SchemaVersion.expectedSchemaVersion")
struct SchemaVersionTests {
  static let migrations = TestEnvironment.packageRoot + "/Migrations"

  /// The constant must name the highest file of the shipped `Migrations/`.
  @Test(.enabled(if: Directory.exists(migrations), "no Migrations/ directory in this checkout yet"))
  func matchesTheHighestMigrationFile() throws {
    #expect(
      try MigrationRunner(directory: Self.migrations).latestVersion() == SchemaVersion.expectedSchemaVersion)
  }
}
