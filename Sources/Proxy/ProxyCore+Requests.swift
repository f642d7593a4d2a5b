import SIPCore
import SIPTransaction

/// New requests (RFC 3261 §16.3-16.4): who handles what. The initial INVITE
/// goes to `Invite/` (`ProxyCore+Caller` says whose it is),
/// requests inside a dialog to `Dialogs/`, REGISTER to `Registrar/`;
/// OPTIONS to the switch, 483 and CANCEL are answered here.
extension ProxyCore {
  /// A request no server transaction absorbed (`TransactionUser.requestArrived`).
  func receiveRequest(
    _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint, local: Endpoint
  ) {
    if method == .ack {
      // An ACK for a 2xx is end-to-end and is forwarded (RFC 6026 Accepted state).
      guard screenUnknownSource(request, method: method, via: via, key: key, source: source) else { return }
      forwardInDialog(request, method: method, source: source, server: nil)
      return
    }
    guard screenUnknownSource(request, method: method, via: via, key: key, source: source) else { return }
    let record = newServerTransaction(request, key: key, via: via, method: method, source: source)
    if method == .cancel {
      receiveCancel(request, via: via, record: record)
      return
    }
    let toTagPresent = request.toTag != nil
    if !toTagPresent, local.transport != .tls, Self.carriesSIPS(request) {
      // RFC 3261 §26.2.2, RFC 5630 §3.1.3: a SIPS request travels over TLS on
      // every hop; one that came over UDP or TCP already broke that, and the
      // switch will not carry it on as if it were secure (docs/tls.md).
      respondLocally(record, 480, "Secure Transport Required")
      return
    }
    // Asked only of an OPTIONS or a request answered here: building the
    // Request-URI for every INVITE and BYE cost over a thousand instructions.
    func addressedToUs() -> Bool { request.requestURI.map(isLocal) ?? false }
    // §16.3 item 3 lets a proxy answer an OPTIONS addressed to it; trunks ping this way.
    if method == .options, !toTagPresent, addressedToUs(), request.routeCount == 0 {
      respondLocally(
        record, 200, "OK", extra: [("Allow", SIPMethod.allowHeaderValue), ("Accept", "application/sdp")])
      return
    }
    if request.hasMaxForwards, request.maxForwards == 0 {
      respondLocally(record, 483, "Too Many Hops")
      return
    }
    if toTagPresent {
      forwardInDialog(request, method: method, source: source, server: record)
      return
    }
    switch method {
    case .invite:
      // An interconnect's call, a softphone user's (authenticated), or one
      // for a registrar domain's phones (`ProxyCore+Caller`).
      receiveOutOfDialogInvite(request, source: source, local: local, record: record)
    case .register where registrar?.serves(host: request.requestURI?.host) == true:
      receiveRegister(request, source: source, record: record)
    default:
      if case .extension = method, request.requestURI?.user?.isEmpty == false {
        // §16: a proxy forwards a method it does not know like any other request.
        forwardInDialog(request, method: method, source: source, server: record)
      } else if case .extension = method {
        respondLocally(record, 501, "Not Implemented", extra: [("Allow", SIPMethod.allowHeaderValue)])
      } else if addressedToUs() {
        respondLocally(record, 405, "Method Not Allowed", extra: [("Allow", SIPMethod.allowHeaderValue)])
      } else {
        // This switch relays calls, not out-of-dialog requests for other domains.
        respondLocally(record, 404, "Not Found")
      }
    }
  }

  func receiveCancel(_ cancel: SIPMessage, via: Via, record: ServerTransactionRecord) {
    // §9.2 / §16.10: the CANCEL matches the INVITE server transaction by branch.
    let inviteKey = TransactionLayer.serverKey(cancel, via: via, method: .invite)
    guard let invite = transactions.servers[inviteKey], let context = Self.record(invite).context else {
      respondLocally(record, 481, "Call/Transaction Does Not Exist")
      return
    }
    respondLocally(record, 200, "OK")
    guard !context.finalSent, !context.answerHeld, !context.cancelled else { return }
    context.cancelled = true
    context.summary.outcome = .cancelled
    if let branch = context.branch, !branch.receivedFinal {
      cancelBranch(branch)
    }
    // §16.10: every pending branch of a parallel fork; their 487s settle it.
    for branch in context.fork?.branches ?? [] where !branch.receivedFinal { cancelBranch(branch) }
  }
}
