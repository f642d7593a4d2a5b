/// The non-INVITE server transaction of RFC 3261 §17.2.2 (Figure 8).
///
/// A pure value; it follows the conventions written on
/// `ClientInviteTransaction`: a zero Timer J (reliable transport) is never
/// started, the machine terminates at once; `.terminate` implies cancelling
/// every running timer; a stale timer and any input after "Terminated"
/// return `[]`.
public struct ServerNonInviteTransaction: Sendable {
  /// The states of RFC 3261 Figure 8.
  public enum State: Sendable, Hashable {
    case trying
    case proceeding
    case completed
    case terminated
  }

  public private(set) var state: State = .trying
  public let reliable: Bool
  public let timers: TimerValues

  private var requestReceived = false

  public init(reliable: Bool, timers: TimerValues = .rfc3261) {
    self.reliable = reliable
    self.timers = timers
  }

  /// A request matching this transaction arrived: the first copy, then any
  /// retransmissions.
  public mutating func receiveRequest() -> [TransactionAction] {
    guard requestReceived else {
      // RFC 3261 §17.2.2: the request that creates the transaction goes to the TU.
      requestReceived = true
      return [.passRequestToTU]
    }
    switch state {
    case .trying, .terminated:
      // RFC 3261 §17.2.2: in Trying, retransmissions are discarded.
      return []
    case .proceeding, .completed:
      // RFC 3261 §17.2.2: re-send the latest provisional or the final response.
      return [.sendLastResponse]
    }
  }

  /// The TU passes a response (its status code) for transmission.
  public mutating func sendResponse(status: Int) -> [TransactionAction] {
    switch (state, status) {
    case (.trying, 100...199), (.proceeding, 100...199):
      // RFC 3261 §17.2.2: send the provisional; Trying -> Proceeding.
      state = .proceeding
      return [.sendLastResponse]
    case (.trying, 200...699), (.proceeding, 200...699):
      // RFC 3261 §17.2.2: send the final, enter Completed, start Timer J
      // (zero for a reliable transport).
      let timerJ = timers.initialDuration(of: .J, reliable: reliable)
      if timerJ == 0 {
        state = .terminated
        return [.sendLastResponse, .terminate]
      }
      state = .completed
      return [.sendLastResponse, .startTimer(.J, milliseconds: timerJ)]
    default:
      // RFC 3261 §17.2.2: other final responses from the TU in Completed are discarded.
      return []
    }
  }

  /// `timer` fired. Returns `[]` for a timer that no longer applies.
  public mutating func timerFired(_ timer: TransactionTimer) -> [TransactionAction] {
    switch (state, timer) {
    case (.completed, .J):
      // RFC 3261 §17.2.2: Completed -> Terminated when J fires.
      state = .terminated
      return [.terminate]
    default:
      return []
    }
  }

  /// The transport failed to send one of this transaction's responses.
  public mutating func transportFailed() -> [TransactionAction] {
    switch state {
    case .proceeding, .completed:
      // RFC 3261 §17.2.4: inform the TU and go to Terminated.
      state = .terminated
      return [.transportError, .terminate]
    case .trying, .terminated:
      // Trying has sent nothing, so there is no send of ours to fail.
      return []
    }
  }
}
