import SIPCore

/// The response context of one forwarded initial INVITE (RFC 3261 §16.7):
/// the server transaction upstream, the branch now tried downstream, the
/// targets left for failover, and the facts of the call so far.
final class InviteContext {
  let server: ServerTransactionRecord
  /// The INVITE as it will be forwarded (Max-Forwards, Record-Route done;
  /// a Via is added per branch).
  /// Dropped once the call has its final answer (only failover needs it).
  var request: SIPMessage?
  /// The pipeline's decision: targets, failover statuses, ingress facts;
  /// its targets and forking are replaced when an `UnansweredHook` routes
  /// the call on. `@exclusivity(unchecked)` (as the transaction layer's
  /// hot storage): it is read on every message of the call and written in
  /// one statement (`routeOn`), never while a read is open.
  @exclusivity(unchecked) var call: RoutedCall
  var targets: [RouteTarget] { call.targets }
  var nextTarget = 0
  var branch: ClientTransactionRecord?
  var cancelled = false
  /// The loop-detection hash of the INVITE as received (§16.3 item 4).
  var loopHash: UInt32 = 0
  /// The call record's facts so far. `@exclusivity(unchecked)` like
  /// `call`: read and changed in place on every message of the call (the
  /// answer changes it field by field instead of copying it out and back),
  /// and no access calls anything that touches the same context's summary.
  @exclusivity(unchecked) var summary: CallSummary
  /// The call's entry in `LiveCalls`.
  var callNumber: UInt64 = 0
  /// The INVITE before any target's edits, kept when targets edit it
  /// differently, so each failover starts from the same message.
  var baseRequest: [UInt8]?
  /// The caller's side of the dialog as received (From, Contact, the
  /// Record-Route entries of proxies before this one), when the switch may
  /// have to end the call itself.
  var callerSide: (from: String, contact: String, routeSet: [String])?
  /// How many Record-Route entries the forwarded INVITE carried (ours included).
  var recordRoutesSent = 0
  /// The 2xx waits for the call's checkpoint to be durable (`CallJournal.answered`).
  var answerHeld = false
  /// The call's unanswered outcome has been reported (`finishUnanswered`).
  var finished = false
  // `@exclusivity(unchecked)` like `call`: each access is one statement
  // that calls nothing touching the same field.
  /// The branch whose 2xx went (or is held to go) upstream: any other 2xx
  /// is ACKed and BYEd by the switch (§16.7 step 5, RFC 6026).
  @exclusivity(unchecked) var winner: ClientTransactionRecord?
  /// A parallel fork's state (nil: the call's targets are tried in turn).
  @exclusivity(unchecked) var fork: ForkState?

  init(server: ServerTransactionRecord, request: SIPMessage?, call: RoutedCall, summary: CallSummary) {
    self.server = server
    self.request = request
    self.call = call
    self.summary = summary
  }

  /// The best final response so far (§16.7 step 6); `nil` response means
  /// one the switch makes itself (a timeout, a transport error).
  private(set) var best: (status: Int, response: SIPMessage?)?

  var finalSent: Bool { server.hasFinalResponse }

  /// A call to a DID moving on to its forwarded leg: what the owner's
  /// devices answered is not the call's answer any more (docs/dids.md).
  func forgetBest() { best = nil }

  /// Keeps a final response if it beats the best so far: any 6xx wins, then
  /// the lowest class; the first of a class stays.
  func consider(status: Int, response: SIPMessage?) {
    guard let current = best else {
      best = (status, response)
      return
    }
    if current.status >= 600 { return }
    if status >= 600 || status / 100 < current.status / 100 { best = (status, response) }
  }
}
