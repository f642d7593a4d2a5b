import SIPTransaction

/// A test driver that carries out a machine's timer actions on a `TimerWheel`
/// and a virtual clock, and logs every other action with the time it happened.
final class VirtualClockDriver {
  private(set) var log: [(ms: Int64, action: TransactionAction)] = []
  private let wheel = TimerWheel<TransactionTimer>(nowMs: 0)
  private var running: [TransactionTimer: TimerID] = [:]
  private(set) var terminated = false

  var nowMs: Int64 { wheel.nowMs }

  /// The instants at which `action` was performed.
  func times(of action: TransactionAction) -> [Int64] {
    log.filter { $0.action == action }.map(\.ms)
  }

  func perform(_ actions: [TransactionAction]) {
    for action in actions {
      switch action {
      case .startTimer(let timer, let milliseconds):
        if let old = running[timer] { wheel.cancel(old) }
        running[timer] = wheel.schedule(timer, afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = running.removeValue(forKey: timer) { wheel.cancel(old) }
      case .terminate:
        for id in running.values { wheel.cancel(id) }
        running.removeAll()
        terminated = true
        log.append((wheel.nowMs, action))
      default:
        log.append((wheel.nowMs, action))
      }
    }
  }

  /// Fires timers in deadline order until the machine terminates, no timer
  /// is left, or the clock passes `untilMs`.
  func run(untilMs: Int64 = .max, fire: (TransactionTimer) -> [TransactionAction]) {
    while !terminated, let next = wheel.nextDeadlineMs, next <= untilMs {
      for timer in wheel.expire(nowMs: next) where !terminated {
        running[timer] = nil
        perform(fire(timer))
      }
    }
  }
}
