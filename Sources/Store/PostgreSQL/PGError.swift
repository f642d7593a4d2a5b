/// A failure reported by libpq or the server, with the SQLSTATE when the
/// server sent one.
public struct PGError: Error, CustomStringConvertible, Sendable {
  public var message: String
  /// The five-character SQLSTATE (`PG_DIAG_SQLSTATE`), when the server sent one.
  public var sqlState: SQLState?

  /// Where in the statement text the error was found: a 1-based character
  /// offset (`PG_DIAG_STATEMENT_POSITION`), when the server sent one.
  public var position: Int?

  public init(message: String, sqlState: SQLState? = nil, position: Int? = nil) {
    self.message = message
    self.sqlState = sqlState
    self.position = position
  }

  public var description: String {
    if let sqlState { return "PostgreSQL \(sqlState.code): \(message)" }
    return "PostgreSQL: \(message)"
  }

  /// True when retrying on a fresh connection may succeed (the server is
  /// gone, restarting or refusing connections), as opposed to a bad statement.
  public var isConnectionProblem: Bool {
    guard let sqlState else { return true }
    return sqlState.isConnectionClass
  }
}
