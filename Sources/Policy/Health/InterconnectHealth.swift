/// The health of one probed supplier interconnect: a pure state machine fed
/// with probe outcomes. It starts up (a trunk is trusted until probes say
/// otherwise, so a restart never blocks calls); `failuresToDown` failed
/// probes in a row take it down, `successesToUp` answered probes in a row
/// bring it back. Only probes feed it: a live call that fails over to the
/// next supplier marks nothing (docs/operations.md).
public struct InterconnectHealth: Sendable, Equatable {
  public enum State: String, Sendable, Equatable {
    case up
    case down
  }

  /// A change of state, reported once when it happens.
  public struct Change: Sendable, Equatable {
    public var from: State
    public var to: State
    /// The probe outcome that made it.
    public var outcome: ProbeOutcome
  }

  public private(set) var state: State = .up
  /// Failed probes in a row (0 after any success).
  public private(set) var consecutiveFailures = 0
  /// Answered probes in a row (0 after any failure).
  public private(set) var consecutiveSuccesses = 0
  public private(set) var lastOutcome: ProbeOutcome?
  public let thresholds: HealthThresholds

  public init(thresholds: HealthThresholds = HealthThresholds()) {
    self.thresholds = thresholds
  }

  public var isDown: Bool { state == .down }

  /// Feeds one probe outcome; returns the change of state it made, if any.
  public mutating func record(_ outcome: ProbeOutcome) -> Change? {
    lastOutcome = outcome
    if outcome.isSuccess {
      consecutiveFailures = 0
      consecutiveSuccesses += 1
      if state == .down, consecutiveSuccesses >= thresholds.successesToUp {
        state = .up
        return Change(from: .down, to: .up, outcome: outcome)
      }
    } else {
      consecutiveSuccesses = 0
      consecutiveFailures += 1
      if state == .up, consecutiveFailures >= thresholds.failuresToDown {
        state = .down
        return Change(from: .up, to: .down, outcome: outcome)
      }
    }
    return nil
  }
}
