import Glibc
import Store

/// A database of its own for one rate-command test, on the server of
/// `DIDTRON_TEST_DATABASE_URL`, migrated and with etc/demo-data.sql in it;
/// dropped afterwards (as StoreTests' `TestDatabase`).
enum RateDatabase {
  static let adminURL: String? = {
    guard let value = getenv("DIDTRON_TEST_DATABASE_URL") else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
  }()

  static var isAvailable: Bool { adminURL != nil }

  static let packageRoot: String = {
    let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    return components.dropLast(4).joined(separator: "/")
  }()

  /// Runs `body` with the URL of a fresh demo database.
  static func withDemo<T>(_ body: (String) throws -> T) throws -> T {
    let admin = adminURL!
    let name = "didtron_rate_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    try PGConnection(url: admin).execute(script: "CREATE DATABASE \(name)")
    defer { try? PGConnection(url: admin).execute(script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    let url = Self.url(admin, database: name)
    _ = try MigrationRunner(directory: packageRoot + "/Migrations").run(databaseURL: url)
    try PGConnection(url: url).execute(script: try contents(of: packageRoot + "/etc/demo-data.sql"))
    return try body(url)
  }

  static func contents(of path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw PGError(message: "cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count <= 0 { break }
      bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `url` with its database replaced by `database`.
  static func url(_ url: String, database: String) -> String {
    guard let scheme = url.firstRange(of: "://") else { return url + " dbname=" + database }
    let rest = url[scheme.upperBound...]
    let query = rest.firstIndex(of: "?")
    let authorityEnd = rest[..<(query ?? rest.endIndex)].firstIndex(of: "/") ?? query ?? rest.endIndex
    return String(url[..<authorityEnd]) + "/" + database + String(url[(query ?? url.endIndex)...])
  }
}
