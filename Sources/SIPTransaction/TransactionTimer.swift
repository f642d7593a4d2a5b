/// The timers of RFC 3261 §17 (Table 4). Timer C belongs to the proxy (§16.6).
public enum TransactionTimer: Sendable, Hashable, CaseIterable {
  case A, B, D, E, F, G, H, I, J, K
}

/// T1, T2 and T4 of RFC 3261 §17.1.1.1 and Table 4, in milliseconds.
public struct TimerValues: Sendable, Equatable {
  public var t1: Int64
  public var t2: Int64
  public var t4: Int64

  public init(t1: Int64 = 500, t2: Int64 = 4000, t4: Int64 = 5000) {
    self.t1 = t1
    self.t2 = t2
    self.t4 = t4
  }

  public static let rfc3261 = TimerValues()
}
