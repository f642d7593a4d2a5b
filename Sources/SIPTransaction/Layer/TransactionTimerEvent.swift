/// A timer of the transaction layer as it sits on the timing wheel: an RFC
/// 3261 §17 timer of one transaction, or a transaction's backstop deadline.
public enum TransactionTimerEvent {
  case server(ServerTransaction, TransactionTimer)
  case client(ClientTransaction, TransactionTimer)
  case serverDeadline(ServerTransaction)
  case clientDeadline(ClientTransaction)
}

/// Where the transaction layer puts its timers. The layer's user owns the
/// one `TimerWheel` of its thread (its own timers share it, so everything
/// fires in deadline order) and hands each due `TransactionTimerEvent` back
/// to `TransactionLayer.fire`. `afterMs` counts from now: the scheduler knows
/// the time, the layer never reads a clock.
public protocol TransactionTimerScheduler: AnyObject {
  func schedule(_ event: TransactionTimerEvent, afterMs: Int64) -> TimerID
  func cancel(_ id: TimerID)
}

/// A wheel of nothing but transaction timers schedules them directly
/// (counting from the wheel's clock, the time of its latest `expire`).
extension TimerWheel: TransactionTimerScheduler where Payload == TransactionTimerEvent {}
