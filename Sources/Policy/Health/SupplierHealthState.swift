/// One probed interconnect's health as read by metrics and the admin API
/// (a copy; reading it changes nothing).
public struct SupplierHealthState: Sendable, Equatable {
  public var interconnectID: String
  public var carrierID: String
  public var state: InterconnectHealth.State
  public var consecutiveFailures: Int
  public var consecutiveSuccesses: Int
  /// The last probe's outcome as text (`200`, `503`, `timeout`,
  /// `transport_error`), nil before the first.
  public var lastOutcome: String?
  /// Probes sent, and of those failed, since the switch started.
  public var probesSent: Int
  public var probesFailed: Int
  /// Changes of state since the switch started.
  public var changes: Int

  public init(
    interconnectID: String, carrierID: String, state: InterconnectHealth.State, consecutiveFailures: Int = 0,
    consecutiveSuccesses: Int = 0, lastOutcome: String? = nil, probesSent: Int = 0, probesFailed: Int = 0,
    changes: Int = 0
  ) {
    self.interconnectID = interconnectID
    self.carrierID = carrierID
    self.state = state
    self.consecutiveFailures = consecutiveFailures
    self.consecutiveSuccesses = consecutiveSuccesses
    self.lastOutcome = lastOutcome
    self.probesSent = probesSent
    self.probesFailed = probesFailed
    self.changes = changes
  }
}
