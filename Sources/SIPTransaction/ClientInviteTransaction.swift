/// The INVITE client transaction of RFC 3261 §17.1.1 (Figure 5), with the
/// "Accepted" state and Timer M of RFC 6026 §8.4.
///
/// A pure value: every input returns the actions the driver must carry out,
/// in order. Conventions shared by all four transaction machines:
/// - A timer whose Table 4 value is zero (D over a reliable transport) is
///   never started: the machine enters "Terminated" at once and returns
///   `.terminate`, so the state is always exact and no zero-length timer
///   reaches the wheel.
/// - `.terminate` implies "cancel every timer still running" (see
///   `TransactionAction.terminate`); a transition into a live state cancels
///   the timers that stop applying with explicit `.cancelTimer` actions.
/// - A timer that fires in a state where it no longer applies (a stale
///   firing that raced with its cancellation) returns `[]`; so does any input
///   after "Terminated".
///
/// Timer B matters only in "Calling" (RFC 3261 §17.1.1.2): a provisional
/// response cancels it, and from then on the TU (a proxy's Timer C, §16.6)
/// decides how long to wait for a final response.
public struct ClientInviteTransaction: Sendable {
  /// The states of RFC 3261 Figure 5 plus "Accepted" (RFC 6026 §8.4).
  public enum State: Sendable, Hashable {
    case calling
    case proceeding
    case completed
    case accepted
    case terminated
  }

  public private(set) var state: State = .calling
  public let reliable: Bool
  public let timers: TimerValues

  private var started = false
  private var timerAInterval: Int64

  public init(reliable: Bool, timers: TimerValues = .rfc3261) {
    self.reliable = reliable
    self.timers = timers
    self.timerAInterval = timers.initialDuration(of: .A, reliable: reliable)
  }

  /// The TU hands the INVITE to the transaction: send it and start the
  /// timers of "Calling". A second call returns `[]`.
  public mutating func start() -> [TransactionAction] {
    guard state == .calling, !started else { return [] }
    started = true
    var actions: [TransactionAction] = [.sendRequest]
    // RFC 3261 §17.1.1.2: Timer A only for an unreliable transport.
    if !reliable {
      actions.append(.startTimer(.A, milliseconds: timerAInterval))
    }
    // RFC 3261 §17.1.1.2: Timer B = 64*T1 for any transport.
    actions.append(.startTimer(.B, milliseconds: timers.initialDuration(of: .B, reliable: reliable)))
    return actions
  }

  /// A response matching this transaction arrived from the transport.
  public mutating func receive(responseStatus status: Int) -> [TransactionAction] {
    switch (state, status) {
    case (.calling, 100...199):
      // RFC 3261 §17.1.1.2: Calling -> Proceeding, 1xx to TU, stop
      // retransmitting; Timer B only applies in Calling.
      var actions: [TransactionAction] = [.passResponseToTU]
      actions += cancelCallingTimers()
      state = .proceeding
      return actions
    case (.proceeding, 100...199):
      // RFC 3261 §17.1.1.2: further provisionals go to the TU.
      return [.passResponseToTU]
    case (.calling, 200...299), (.proceeding, 200...299):
      // RFC 6026 §8.4: a 2xx moves to Accepted, goes to the TU, starts M.
      var actions: [TransactionAction] = [.passResponseToTU]
      if state == .calling { actions += cancelCallingTimers() }
      actions.append(.startTimer(.M, milliseconds: timers.initialDuration(of: .M, reliable: reliable)))
      state = .accepted
      return actions
    case (.accepted, 200...299):
      // RFC 6026 §8.4: every 2xx received in Accepted goes to the TU.
      return [.passResponseToTU]
    case (.calling, 300...699), (.proceeding, 300...699):
      // RFC 3261 §17.1.1.2: ACK the non-2xx final, pass it up, enter
      // Completed and start Timer D (zero for a reliable transport).
      var actions: [TransactionAction] = [.sendACK, .passResponseToTU]
      let timerD = timers.initialDuration(of: .D, reliable: reliable)
      if timerD == 0 {
        state = .terminated
        actions.append(.terminate)
        return actions
      }
      if state == .calling { actions += cancelCallingTimers() }
      actions.append(.startTimer(.D, milliseconds: timerD))
      state = .completed
      return actions
    case (.completed, 300...699):
      // RFC 3261 §17.1.1.2: a retransmitted final is ACKed again, not passed up.
      return [.sendACK]
    default:
      return []
    }
  }

  /// `timer` fired. Returns `[]` for a timer that no longer applies.
  public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
    switch (state, timer) {
    case (.calling, .A) where !reliable && started:
      // RFC 3261 §17.1.1.2: retransmit and double A; for INVITE it is not
      // capped at T2 (Timer B ends the doubling).
      timerAInterval *= 2
      return [.sendRequest, .startTimer(.A, milliseconds: timerAInterval)]
    case (.calling, .B) where started:
      // RFC 3261 §17.1.1.2: no response at all; tell the TU it timed out.
      state = .terminated
      return [.timeout, .terminate]
    case (.completed, .D):
      // RFC 3261 §17.1.1.2: Completed -> Terminated when D fires.
      state = .terminated
      return [.terminate]
    case (.accepted, .M):
      // RFC 6026 §8.4: Accepted -> Terminated when M fires.
      state = .terminated
      return [.terminate]
    default:
      return []
    }
  }

  /// The transport failed to send this transaction's request or ACK.
  public mutating func transportFailed() -> [TransactionAction] {
    switch state {
    case .calling, .proceeding, .completed:
      // RFC 3261 §17.1.4: inform the TU and go to Terminated.
      state = .terminated
      return [.transportError, .terminate]
    case .accepted, .terminated:
      // RFC 6026 §8.4: in Accepted the transaction sends nothing (the TU
      // sends the ACK for a 2xx), so there is no send of ours to fail.
      return []
    }
  }

  private func cancelCallingTimers() -> [TransactionAction] {
    guard started else { return [] }
    return reliable ? [.cancelTimer(.B)] : [.cancelTimer(.A), .cancelTimer(.B)]
  }
}
