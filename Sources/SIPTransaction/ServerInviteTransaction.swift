/// The INVITE server transaction of RFC 3261 §17.2.1 (Figure 7), with the
/// "Accepted" state and Timer L of RFC 6026 §7.1 and §8.7.
///
/// A pure value; it follows the conventions written on
/// `ClientInviteTransaction`: a zero Timer I (reliable transport) is never
/// started, the machine terminates at once; `.terminate` implies cancelling
/// every running timer; a stale timer and any input after "Terminated"
/// return `[]`.
///
/// The 100 (Trying) of §17.2.1 is the TU's choice: it passes it in with
/// `sendResponse(status: 100)` like any provisional response.
///
/// A transport error never ends this transaction (RFC 6026 §7.1): it is
/// reported to the TU and the machine stays where it is, so that
/// retransmissions of the INVITE are still absorbed until a timer ends it.
public struct ServerInviteTransaction: Sendable {
  /// The states of RFC 3261 Figure 7 plus "Accepted" (RFC 6026 §7.1).
  public enum State: Sendable, Hashable {
    case proceeding
    case completed
    case confirmed
    case accepted
    case terminated
  }

  public private(set) var state: State = .proceeding
  public let reliable: Bool
  public let timers: TimerValues

  private var requestReceived = false
  private var responseSent = false
  private var timerGInterval: Int64

  public init(reliable: Bool, timers: TimerValues = .rfc3261) {
    self.reliable = reliable
    self.timers = timers
    self.timerGInterval = timers.initialDuration(of: .G, reliable: reliable)
  }

  /// An INVITE matching this transaction arrived: the first copy, then any
  /// retransmissions.
  public mutating func receiveRequest() -> [TransactionAction] {
    guard requestReceived else {
      // RFC 3261 §17.2.1: the request that creates the transaction goes to the TU.
      requestReceived = true
      return [.passRequestToTU]
    }
    switch state {
    case .proceeding:
      // RFC 3261 §17.2.1: a retransmission re-sends the latest provisional, if any.
      return responseSent ? [.sendLastResponse] : []
    case .completed:
      // RFC 3261 §17.2.1: a retransmission re-sends the final response.
      return [.sendLastResponse]
    case .accepted:
      // RFC 6026 §7.1: retransmissions are absorbed, never passed to the TU.
      return []
    case .confirmed, .terminated:
      return []
    }
  }

  /// The TU passes a response (its status code) for transmission.
  public mutating func sendResponse(status: Int) -> [TransactionAction] {
    switch (state, status) {
    case (.proceeding, 100...199):
      // RFC 3261 §17.2.1: provisionals are sent; stay in Proceeding.
      responseSent = true
      return [.sendLastResponse]
    case (.proceeding, 200...299):
      // RFC 6026 §7.1: send the 2xx, enter Accepted, start Timer L.
      responseSent = true
      state = .accepted
      return [
        .sendLastResponse, .startTimer(.L, milliseconds: timers.initialDuration(of: .L, reliable: reliable)),
      ]
    case (.accepted, 200...299):
      // RFC 6026 §7.1: further 2xx from the TU (its retransmissions) are sent.
      return [.sendLastResponse]
    case (.proceeding, 300...699):
      // RFC 3261 §17.2.1: send the final, enter Completed; Timer G only for
      // an unreliable transport, Timer H = 64*T1 for any.
      responseSent = true
      state = .completed
      var actions: [TransactionAction] = [.sendLastResponse]
      if !reliable {
        actions.append(.startTimer(.G, milliseconds: timerGInterval))
      }
      actions.append(.startTimer(.H, milliseconds: timers.initialDuration(of: .H, reliable: reliable)))
      return actions
    default:
      // RFC 3261 §17.2.1: after a final response the TU has nothing more to send
      // (except 2xx retransmissions in Accepted, above).
      return []
    }
  }

  /// An ACK matching this transaction arrived.
  public mutating func receiveACK() -> [TransactionAction] {
    switch state {
    case .completed:
      // RFC 3261 §17.2.1: Completed -> Confirmed; stop G and H, start Timer I
      // (zero for a reliable transport).
      let timerI = timers.initialDuration(of: .I, reliable: reliable)
      if timerI == 0 {
        state = .terminated
        return [.terminate]
      }
      state = .confirmed
      var actions: [TransactionAction] = reliable ? [] : [.cancelTimer(.G)]
      actions += [.cancelTimer(.H), .startTimer(.I, milliseconds: timerI)]
      return actions
    case .accepted:
      // RFC 6026 §7.1: an ACK in Accepted acknowledges the 2xx; it belongs
      // to the TU.
      return [.passRequestToTU]
    case .proceeding, .confirmed, .terminated:
      // RFC 3261 §17.2.1: Confirmed absorbs further ACKs; an ACK before any
      // final response has nothing to acknowledge.
      return []
    }
  }

  /// `timer` fired. Returns `[]` for a timer that no longer applies.
  public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
    switch (state, timer) {
    case (.completed, .G) where !reliable:
      // RFC 3261 §17.2.1: retransmit the final; G doubles, capped at T2.
      timerGInterval = min(timerGInterval * 2, timers.t2)
      return [.sendLastResponse, .startTimer(.G, milliseconds: timerGInterval)]
    case (.completed, .H):
      // RFC 3261 §17.2.1: the ACK never came; report the failure.
      state = .terminated
      return [.timeout, .terminate]
    case (.confirmed, .I):
      // RFC 3261 §17.2.1: Confirmed -> Terminated when I fires.
      state = .terminated
      return [.terminate]
    case (.accepted, .L):
      // RFC 6026 §7.1: Accepted -> Terminated when L fires.
      state = .terminated
      return [.terminate]
    default:
      return []
    }
  }

  /// The transport failed to send one of this transaction's responses.
  public mutating func transportFailed() -> [TransactionAction] {
    switch state {
    case .proceeding, .completed, .accepted:
      // RFC 6026 §7.1: inform the TU but keep the state; timers end it.
      return [.transportError]
    case .confirmed, .terminated:
      return []
    }
  }
}
