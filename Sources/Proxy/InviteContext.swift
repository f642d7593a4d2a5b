import SIPCore

/// The response context of one forwarded initial INVITE (RFC 3261 §16.7):
/// the server transaction upstream, the branch now tried downstream, the
/// targets left for failover, and the facts of the call so far.
final class InviteContext {
  let server: ServerTransactionRecord
  /// The INVITE as it will be forwarded (Max-Forwards, Record-Route done;
  /// a Via is added per branch).
  let request: SIPMessage
  let targets: [RouteTarget]
  var nextTarget = 0
  var branch: ClientTransactionRecord?
  var cancelled = false
  /// The loop-detection hash of the INVITE as received (§16.3 item 4).
  var loopHash: UInt32 = 0
  var summary: CallSummary

  init(server: ServerTransactionRecord, request: SIPMessage, targets: [RouteTarget], summary: CallSummary) {
    self.server = server
    self.request = request
    self.targets = targets
    self.summary = summary
  }

  var finalSent: Bool { server.hasFinalResponse }
}
