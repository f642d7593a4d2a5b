import ArgumentParser
import Glibc
import Store
import SwitchDaemon

/// `didtron-switch migrate`: apply the pending schema migrations and exit.
struct Migrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Apply the pending database migrations (NNNN_name.sql files) and exit.",
    discussion: """
      Each pending file runs in its own transaction and is recorded in schema_migrations; \
      a failing file is rolled back and named. Safe to run on several hosts at once \
      (an advisory lock serialises them). The database URL comes from --database-url, \
      else DIDTRON_DATABASE_URL, else database.url of --config.
      """)

  /// Where the migrations are looked for when --migrations is not given.
  static let localMigrations = "./Migrations"
  static let installedMigrations = "/usr/share/didtron-switch/migrations"

  @Option(
    help: ArgumentHelp("The configuration file; only its [database] section is read.", valueName: "file"))
  var config: String?

  @Option(help: ArgumentHelp("The database (database.url).", valueName: "postgresql://..."))
  var databaseURL: String?

  @Option(
    help: ArgumentHelp(
      "The migrations directory. Default: \(localMigrations) if it exists, else \(installedMigrations).",
      valueName: "dir"))
  var migrations: String?

  @Flag(help: "Only report whether the schema is the one this binary needs (exit 1 if not); change nothing.")
  var check = false

  func run() throws {
    let url = try DatabaseURLOption.resolve(config: config, databaseURL: databaseURL)

    do {
      if check {
        let version = try SchemaVersion.check(databaseURL: url)
        print(version)
        if version != .current { throw ExitCode.failure }
        return
      }
      let directory = migrations ?? Self.defaultDirectory()
      let runner = MigrationRunner(directory: directory)
      let applied = try runner.run(databaseURL: url)
      for migration in applied { print("applied \(migration.fileName)") }
      let latest = try runner.latestVersion()
      if applied.isEmpty {
        print("database schema is at version \(latest): nothing to apply (\(directory))")
      } else {
        print("database schema is now at version \(latest)")
      }
      if latest != SchemaVersion.expectedSchemaVersion {
        printToStandardError(
          "didtron-switch: note: \(directory) goes up to version \(latest) but this binary needs "
            + "\(SchemaVersion.expectedSchemaVersion): are these the migrations of this release?")
      }
    } catch let error as MigrationError {
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode.failure
    }
  }

  /// `./Migrations` when run from a source tree, else the installed copy.
  static func defaultDirectory() -> String {
    var status = stat()
    if stat(localMigrations, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { return localMigrations }
    return installedMigrations
  }
}
