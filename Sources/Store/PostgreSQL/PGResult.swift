import CLibPQ

/// The rows of one successful statement. Owns the libpq result and frees it
/// in `deinit`; values are read as text (the statements use text format).
public final class PGResult {
  private let result: OpaquePointer

  init(_ result: OpaquePointer) { self.result = result }

  deinit { PQclear(result) }

  public var rowCount: Int { Int(PQntuples(result)) }
  public var columnCount: Int { Int(PQnfields(result)) }

  /// Rows touched by an INSERT/UPDATE/DELETE/COPY (`PQcmdTuples`), 0 when none.
  public var affectedRows: Int {
    guard let text = PQcmdTuples(result) else { return 0 }
    return Int(String(cString: text)) ?? 0
  }

  public func columnName(_ column: Int) -> String {
    guard let name = PQfname(result, Int32(column)) else { return "" }
    return String(cString: name)
  }

  /// The column's index by name, or nil.
  public func column(named name: String) -> Int? {
    let index = Int(PQfnumber(result, name))
    return index < 0 ? nil : index
  }

  public func isNull(_ row: Int, _ column: Int) -> Bool {
    PQgetisnull(result, Int32(row), Int32(column)) == 1
  }

  /// The value as text, nil for NULL.
  public func string(_ row: Int, _ column: Int) -> String? {
    if isNull(row, column) { return nil }
    guard let value = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
    return String(cString: value)
  }

  /// Calls `body` with the value's bytes (no copy); nil for NULL.
  public func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T)
    rethrows
    -> T
  {
    if isNull(row, column) { return try body(nil) }
    guard let value = PQgetvalue(result, Int32(row), Int32(column)) else { return try body(nil) }
    let length = Int(PQgetlength(result, Int32(row), Int32(column)))
    return try value.withMemoryRebound(to: UInt8.self, capacity: length) {
      try body(UnsafeBufferPointer(start: $0, count: length))
    }
  }
}
