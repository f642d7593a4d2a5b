/// One schema migration: a file `NNNN_name.sql` in the migrations
/// directory, applied once, in its own transaction, in version order.
public struct Migration: Sendable, Equatable {
  /// `NNNN` as a number: 1 for `0001_initial.sql`.
  public var version: Int
  /// `name` of `NNNN_name.sql`, as recorded in `schema_migrations.name`.
  public var name: String
  /// The file's full path.
  public var path: String

  public init(version: Int, name: String, path: String) {
    self.version = version
    self.name = name
    self.path = path
  }

  /// `0001_initial.sql`.
  public var fileName: String { String(path.split(separator: "/").last ?? "") }

  /// Parses `NNNN_name.sql` (at least one digit, an underscore, a name of
  /// letters, digits, `_` and `-`); nil for anything else.
  static func parse(fileName: String, directory: String) -> Migration? {
    guard fileName.hasSuffix(".sql") else { return nil }
    let stem = fileName.dropLast(4)
    guard let underscore = stem.firstIndex(of: "_") else { return nil }
    let digits = stem[..<underscore]
    let name = stem[stem.index(after: underscore)...]
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int(digits),
      !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
    else { return nil }
    return Migration(version: version, name: String(name), path: directory + "/" + fileName)
  }
}
