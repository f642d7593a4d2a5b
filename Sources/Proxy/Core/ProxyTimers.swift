import SIPTransaction

/// The proxy core's one timing wheel: the transaction layer's timers and
/// the core's own (Timer C, the dialogs' limits, credit steps, registrations)
/// fire from it in deadline order. It reads time from the `ProxyClock`;
/// a timer scheduled between ticks counts from now, not from the last tick.
final class ProxyTimers: TransactionTimerScheduler {
  enum Event {
    /// An RFC 3261 §17 timer or a backstop of the transaction layer.
    case transaction(TransactionTimerEvent)
    /// Timer C of a forwarded INVITE's branch (§16.6 step 11).
    case timerC(ClientTransactionRecord)
    /// A branch that has said nothing within `failoverTimeoutMs`.
    case targetSilent(ClientTransactionRecord)
    /// A parallel fork's no-answer timeout (`inviteTimeoutMs`, whole fork).
    case noAnswer(InviteContext)
    case durationLimit(Dialog)
    case sessionExpiry(Dialog)
    case creditCheck(Dialog)
    case creditCut(Dialog)
    case registrationExpiry(String)
    /// The backstop of a dialog nothing else bounds (ProxyCore+Deadlines).
    case dialogLifetime(Dialog)
  }

  private let wheel: TimerWheel<Event>
  private let clock: any ProxyClock

  init(clock: any ProxyClock) {
    self.clock = clock
    wheel = TimerWheel(nowMs: clock.monotonicMs)
  }

  /// The wheel counts from its last `expire`; timers start from now.
  func schedule(_ event: Event, afterMs: Int64) -> TimerID {
    wheel.schedule(event, afterMs: afterMs + max(0, clock.monotonicMs - wheel.nowMs))
  }

  func schedule(_ event: TransactionTimerEvent, afterMs: Int64) -> TimerID {
    schedule(.transaction(event), afterMs: afterMs)
  }

  func cancel(_ id: TimerID) { wheel.cancel(id) }

  /// Every timer due by now, in deadline order.
  func expire() -> [Event] { wheel.expire(nowMs: clock.monotonicMs) }

  /// The next moment a timer is due, if any.
  var nextDeadlineMs: Int64? { wheel.nextDeadlineMs }
}
