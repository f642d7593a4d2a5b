/// What one OPTIONS probe of a supplier interconnect came to.
public enum ProbeOutcome: Sendable, Equatable {
  /// A final response that says the trunk is alive (any but 408 and 5xx:
  /// a 404 or 405 to OPTIONS still proves a SIP stack answers).
  case answered(status: Int)
  /// A 408 or 5xx final response: the trunk cannot take calls.
  case refused(status: Int)
  /// No final response within the probe timeout.
  case timedOut
  /// The transport could not send the probe (connection refused, no route).
  case transportError

  /// The outcome of a final `status` (408 and 5xx fail, anything else passes).
  public static func response(_ status: Int) -> ProbeOutcome {
    status == 408 || (500...599).contains(status) ? .refused(status: status) : .answered(status: status)
  }

  public var isSuccess: Bool {
    if case .answered = self { return true }
    return false
  }

  /// How logs and the state read it: the status, `timeout` or `transport_error`.
  public var text: String {
    switch self {
    case .answered(let status), .refused(let status): "\(status)"
    case .timedOut: "timeout"
    case .transportError: "transport_error"
    }
  }
}
