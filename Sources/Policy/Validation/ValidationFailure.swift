/// A validation check the call failed; the proxy answers 403 with `reason`.
public struct ValidationFailure: Sendable, Equatable, CustomStringConvertible {
  /// The reason phrase, naming the check (e.g. "From URI Not Allowed").
  public var reason: String

  public init(reason: String) { self.reason = reason }

  public static let fromURINotAllowed = ValidationFailure(reason: "From URI Not Allowed")
  public static let contactURINotAllowed = ValidationFailure(reason: "Contact URI Not Allowed")
  public static let trunkGroupMismatch = ValidationFailure(reason: "Trunk Group Mismatch")
  public static let testCallsNotAllowed = ValidationFailure(reason: "Test Calls Not Allowed")
  public static let testCallsOnly = ValidationFailure(reason: "Test Calls Only")

  public var description: String { reason }
}
