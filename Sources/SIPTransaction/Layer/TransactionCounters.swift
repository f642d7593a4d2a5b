/// Running totals of the transaction layer.
public struct TransactionCounters: Sendable, Equatable {
  /// Requests matched to an existing server transaction (retransmissions).
  public var retransmissionsAbsorbed = 0
  /// Timers B, F and H: transactions that timed out by the RFC.
  public var timeouts = 0
  /// Transactions a backstop deadline ended (or had answered) because
  /// neither their RFC 3261 timers nor their TU had.
  public var expired = 0

  public init() {}
}
