import Glibc

/// Where the Store tests find their PostgreSQL and migrations.
enum TestEnvironment {
  /// `DIDTRON_TEST_DATABASE_URL`: a server where the tests may create and drop
  /// databases (a `postgresql://` URI). The database tests run only when set.
  static let databaseURL: String? = variable("DIDTRON_TEST_DATABASE_URL")

  static var hasDatabase: Bool { databaseURL != nil }

  /// The migrations the database tests apply: `DIDTRON_TEST_MIGRATIONS`, or
  /// the project's `Migrations/`.
  static let migrationsDirectory: String =
    variable("DIDTRON_TEST_MIGRATIONS") ?? (packageRoot + "/Migrations")

  /// The package root, from this file's path.
  static let packageRoot: String = {
    let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    return components.dropLast(4).joined(separator: "/")
  }()

  static func variable(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
  }
}
