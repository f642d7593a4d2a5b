/// The timers of RFC 3261 §17 (Table 4), plus timers L and M that RFC 6026
/// §8.4 and §8.7 add for the "Accepted" state. Timer C belongs to the proxy
/// (§16.6).
public enum TransactionTimer: Sendable, Hashable, CaseIterable {
  case A, B, D, E, F, G, H, I, J, K
  /// RFC 6026 §8.7: how long a server INVITE transaction waits in "Accepted"
  /// for retransmissions of the INVITE; 64*T1.
  case L
  /// RFC 6026 §8.4: how long a client INVITE transaction waits in "Accepted"
  /// for retransmissions of the 2xx; 64*T1.
  case M
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

  /// Timer D over an unreliable transport: "at least 32 seconds", fixed by
  /// RFC 3261 §17.1.1.2 rather than derived from T1.
  public static let timerDUnreliable: Int64 = 32_000

  /// The value a transaction gives `timer` when it first starts it, in
  /// milliseconds (RFC 3261 Table 4; RFC 6026 for L and M). A, E and G are
  /// the first retransmission interval; the machines grow them afterwards.
  /// Zero means the timer "fires at once": the machines never start such a
  /// timer and enter the next state directly.
  public func initialDuration(of timer: TransactionTimer, reliable: Bool) -> Int64 {
    switch timer {
    case .A, .E, .G: t1  // RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1
    case .B, .F, .H, .L, .M: 64 * t1  // RFC 3261 Table 4; RFC 6026 §8.4, §8.7
    case .D: reliable ? 0 : Self.timerDUnreliable  // RFC 3261 §17.1.1.2
    case .I, .K: reliable ? 0 : t4  // RFC 3261 §17.2.1, §17.1.2.2
    case .J: reliable ? 0 : 64 * t1  // RFC 3261 §17.2.2
    }
  }
}
