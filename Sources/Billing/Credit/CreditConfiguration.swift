/// How live credit is reserved (docs/credit.md).
public struct CreditConfiguration: Sendable, Equatable {
  /// Talk time each reservation step buys, seconds. Default 60.
  public var stepSeconds: Int64
  /// How long before the paid time runs out the next step is reserved,
  /// milliseconds. Default 5000.
  public var extendLeadMs: Int64

  public init(stepSeconds: Int64 = 60, extendLeadMs: Int64 = 5000) {
    self.stepSeconds = max(1, stepSeconds)
    self.extendLeadMs = max(0, extendLeadMs)
  }
}
