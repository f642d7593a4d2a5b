import Billing
import SIPCore
import SIPTransaction

/// A dialog the switch sits in (RFC 3261 §12), created by a 2xx to an initial
/// INVITE and ended by BYE from either side or by failure. It remembers both
/// peers' transport addresses, so in-dialog requests that arrive without a
/// Route header (SIPp's built-in scenarios) still find their way.
final class Dialog {
  let callID: String
  let callerTag: String
  let calleeTag: String
  /// Where requests towards the caller go (the caller's source address).
  let caller: Endpoint
  /// Where requests towards the callee go (the target the INVITE went to).
  let callee: Endpoint
  var summary: CallSummary
  var byeSeen = false
  /// The call's entry in `LiveCalls`.
  let callNumber: UInt64
  /// What the switch needs to send BYE itself; nil when no policy can end the call.
  var control: DialogControl?
  /// The highest CSeq seen in requests from each side.
  var callerCSeq: UInt32 = 0
  var calleeCSeq: UInt32 = 0
  /// The call's maximum duration from the answer (the tighter of both sides' limits).
  var maxDurationMs: Int64?
  var limitTimer: TimerID?
  var sessionTimer: TimerID?
  /// The next credit step (or the cut-off when no step could be reserved).
  var creditTimer: TimerID?
  /// `maxDialogLifetimeMs` from the answer, when neither a maximum duration
  /// nor a session timer bounds the dialog.
  var lifetimeTimer: TimerID?
  /// Milliseconds from the answer that are paid for (nil: not limited).
  var paidMs: Int64?
  /// Why the last step fell short, if it did.
  var creditShortage: CreditShortage?
  /// The session interval in force (RFC 4028), seconds.
  var sessionInterval: Int?

  init(
    callID: String, callerTag: String, calleeTag: String, caller: Endpoint, callee: Endpoint,
    summary: CallSummary, callNumber: UInt64
  ) {
    self.callID = callID
    self.callerTag = callerTag
    self.calleeTag = calleeTag
    self.caller = caller
    self.callee = callee
    self.summary = summary
    self.callNumber = callNumber
  }

  var key: DialogKey { DialogKey(callID: callID, tagA: callerTag, tagB: calleeTag) }
}

/// Identifies a dialog from either direction: the two tags are stored in a
/// fixed order, so (From tag, To tag) and (To tag, From tag) give one key.
struct DialogKey: Hashable {
  let callID: String
  let low: String
  let high: String

  init(callID: String, tagA: String, tagB: String) {
    self.callID = callID
    if tagA <= tagB {
      low = tagA
      high = tagB
    } else {
      low = tagB
      high = tagA
    }
  }
}

/// One direction of a dialog as the switch would address a request into it
/// (RFC 3261 §12.2.1.1): Request-URI, Route set, From and To.
struct DialogSide: Sendable, Equatable {
  var requestURI: String
  var routeSet: [String]
  var from: String
  var to: String
}

/// Both directions, captured from the INVITE and its 2xx.
struct DialogControl: Sendable, Equatable {
  var towardsCaller: DialogSide
  var towardsCallee: DialogSide
}
