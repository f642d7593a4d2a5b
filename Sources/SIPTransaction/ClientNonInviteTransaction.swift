/// The non-INVITE client transaction of RFC 3261 §17.1.2 (Figure 6).
///
/// A pure value; it follows the conventions written on
/// `ClientInviteTransaction`: a zero Timer K (reliable transport) is never
/// started, the machine terminates at once; `.terminate` implies cancelling
/// every running timer; a stale timer and any input after "Terminated"
/// return `[]`.
public struct ClientNonInviteTransaction: Sendable {
  /// The states of RFC 3261 Figure 6.
  public enum State: Sendable, Hashable {
    case trying
    case proceeding
    case completed
    case terminated
  }

  public private(set) var state: State = .trying
  public let reliable: Bool
  public let timers: TimerValues

  private var started = false
  private var timerEInterval: Int64

  public init(reliable: Bool, timers: TimerValues = .rfc3261) {
    self.reliable = reliable
    self.timers = timers
    self.timerEInterval = timers.initialDuration(of: .E, reliable: reliable)
  }

  /// The TU hands the request to the transaction: send it and start the
  /// timers of "Trying". A second call returns `[]`.
  public mutating func start() -> [TransactionAction] {
    guard state == .trying, !started else { return [] }
    started = true
    var actions: [TransactionAction] = [.sendRequest]
    // RFC 3261 §17.1.2.2: Timer E = T1 only for an unreliable transport.
    if !reliable {
      actions.append(.startTimer(.E, milliseconds: timerEInterval))
    }
    // RFC 3261 §17.1.2.2: Timer F = 64*T1 for any transport.
    actions.append(.startTimer(.F, milliseconds: timers.initialDuration(of: .F, reliable: reliable)))
    return actions
  }

  /// A response matching this transaction arrived from the transport.
  public mutating func receive(responseStatus status: Int) -> [TransactionAction] {
    switch (state, status) {
    case (.trying, 100...199), (.proceeding, 100...199):
      // RFC 3261 §17.1.2.2: Trying -> Proceeding; every 1xx goes to the TU.
      // Timer E keeps running and is reset to T2 when it next fires.
      state = .proceeding
      return [.passResponseToTU]
    case (.trying, 200...699), (.proceeding, 200...699):
      // RFC 3261 §17.1.2.2: a final response goes to the TU; enter
      // Completed and start Timer K (zero for a reliable transport).
      var actions: [TransactionAction] = [.passResponseToTU]
      let timerK = timers.initialDuration(of: .K, reliable: reliable)
      if timerK == 0 {
        state = .terminated
        actions.append(.terminate)
        return actions
      }
      if started {
        actions += [.cancelTimer(.E), .cancelTimer(.F)]
      }
      actions.append(.startTimer(.K, milliseconds: timerK))
      state = .completed
      return actions
    default:
      // RFC 3261 §17.1.2.2: Completed buffers (absorbs) retransmitted responses.
      return []
    }
  }

  /// `timer` fired. Returns `[]` for a timer that no longer applies.
  public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
    switch (state, timer) {
    case (.trying, .E) where !reliable && started:
      // RFC 3261 §17.1.2.2: retransmit; E doubles, capped at T2.
      timerEInterval = min(timerEInterval * 2, timers.t2)
      return [.sendRequest, .startTimer(.E, milliseconds: timerEInterval)]
    case (.proceeding, .E) where !reliable && started:
      // RFC 3261 §17.1.2.2: in Proceeding, retransmit and reset E to T2.
      timerEInterval = timers.t2
      return [.sendRequest, .startTimer(.E, milliseconds: timerEInterval)]
    case (.trying, .F) where started, (.proceeding, .F) where started:
      // RFC 3261 §17.1.2.2: no final response in time; tell the TU.
      state = .terminated
      return [.timeout, .terminate]
    case (.completed, .K):
      // RFC 3261 §17.1.2.2: Completed -> Terminated when K fires.
      state = .terminated
      return [.terminate]
    default:
      return []
    }
  }

  /// The transport failed to send this transaction's request.
  public mutating func transportFailed() -> [TransactionAction] {
    switch state {
    case .trying, .proceeding:
      // RFC 3261 §17.1.4: inform the TU and go to Terminated.
      state = .terminated
      return [.transportError, .terminate]
    case .completed, .terminated:
      // Completed sends nothing, so there is no send of ours to fail.
      return []
    }
  }
}
