/// One SQL statement with its parameters: values interpolated into the
/// literal become `$1`, `$2`, ... binds and are sent apart from the text,
/// so no value is ever spliced into SQL.
///
///     let query: PGQuery = "SELECT id FROM carriers WHERE code = \(code)"
public struct PGQuery: Sendable, ExpressibleByStringInterpolation {
  public private(set) var sql: String
  /// Text-format parameter values; `nil` is SQL NULL.
  public private(set) var binds: [String?]

  public init(stringLiteral value: String) {
    sql = value
    binds = []
  }

  public init(unsafeSQL sql: String, binds: [String?] = []) {
    self.sql = sql
    self.binds = binds
  }

  public init(stringInterpolation: StringInterpolation) {
    sql = stringInterpolation.sql
    binds = stringInterpolation.binds
  }

  public struct StringInterpolation: StringInterpolationProtocol {
    var sql = ""
    var binds: [String?] = []

    public init(literalCapacity: Int, interpolationCount: Int) {
      sql.reserveCapacity(literalCapacity + interpolationCount * 3)
      binds.reserveCapacity(interpolationCount)
    }

    public mutating func appendLiteral(_ literal: String) { sql += literal }

    public mutating func appendInterpolation(_ value: some PGBindable) {
      binds.append(value.pgText)
      sql += "$\(binds.count)"
    }

    public mutating func appendInterpolation(_ value: (some PGBindable)?) {
      binds.append(value?.pgText)
      sql += "$\(binds.count)"
    }
  }
}

/// A value that can be sent as a text-format parameter.
public protocol PGBindable {
  var pgText: String { get }
}

extension String: PGBindable { public var pgText: String { self } }
extension Substring: PGBindable { public var pgText: String { String(self) } }
extension Int: PGBindable { public var pgText: String { String(self) } }
extension Int64: PGBindable { public var pgText: String { String(self) } }
extension Int32: PGBindable { public var pgText: String { String(self) } }
extension Bool: PGBindable { public var pgText: String { self ? "t" : "f" } }
