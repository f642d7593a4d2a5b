/// When a probed supplier interconnect changes state (docs/operations.md,
/// "Supplier health"): `failuresToDown` probes in a row that fail (timeout,
/// 5xx, transport error) mark it down; `successesToUp` probes in a row that
/// are answered otherwise bring it back.
public struct HealthThresholds: Sendable, Equatable {
  public var failuresToDown: Int
  public var successesToUp: Int

  public init(failuresToDown: Int = 3, successesToUp: Int = 2) {
    self.failuresToDown = max(1, failuresToDown)
    self.successesToUp = max(1, successesToUp)
  }
}
