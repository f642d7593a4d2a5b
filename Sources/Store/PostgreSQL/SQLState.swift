/// A PostgreSQL SQLSTATE code (Appendix A of the PostgreSQL manual), with
/// names for the ones the switch acts on.
public struct SQLState: Hashable, Sendable, CustomStringConvertible {
  public let code: String

  public init(_ code: String) { self.code = code }

  public static let uniqueViolation = SQLState("23505")
  public static let foreignKeyViolation = SQLState("23503")
  public static let checkViolation = SQLState("23514")
  public static let undefinedTable = SQLState("42P01")
  public static let adminShutdown = SQLState("57P01")
  public static let crashShutdown = SQLState("57P02")
  public static let cannotConnectNow = SQLState("57P03")

  /// Class 08 (connection exception) and the class 57P shutdown codes.
  public var isConnectionClass: Bool {
    code.hasPrefix("08") || self == .adminShutdown || self == .crashShutdown || self == .cannotConnectNow
  }

  public var description: String { code }
}
