import Logging
import Policy
import SIPCore
import SIPTransaction

/// What a source that no interconnect knows gets (softswitch mode), and the
/// rate-limited log line of a refused INVITE (docs/identification.md,
/// docs/overload.md).
extension ProxyCore {
  /// Whether the switch may answer a request from `source` that it refuses
  /// before parsing it fully (the decoder's 400s): always for a known
  /// source, for an unknown one within its budget (docs/identification.md).
  public func mayAnswer(_ source: Endpoint) -> Bool {
    router.knowsSource(source) || overload.answersUnknown(source.host, nowMs: clock.monotonicMs)
  }

  /// Requests from a source no interconnect knows (softswitch mode) get as
  /// little as the RFCs allow (docs/identification.md): an initial INVITE
  /// one 403 and no 100 Trying (RFC 3261 §17.2.1: the final response comes
  /// within 200 ms), its transaction ended at once so that a
  /// retransmission is answered again only within the source's budget
  /// (`overload.unknown_source_requests_per_second`; past it, silence);
  /// any other out-of-dialog request (OPTIONS, CANCEL, ...) and a request
  /// for no dialog here get silence. REGISTER for a registrar domain, an
  /// INVITE that claims a softphone user, the CANCEL of an INVITE in
  /// progress, and requests of an existing dialog, pass. False: dealt with.
  func screenUnknownSource(
    _ request: SIPMessage, method: SIPMethod, via: Via, key: TransactionKey, source: Endpoint
  ) -> Bool {
    if request.toTag != nil, dialogs.find(request) != nil { return true }
    guard !router.knowsSource(source) else { return true }
    if method == .register, registrar?.serves(host: request.requestURI?.host) == true { return true }
    // An INVITE that claims a softphone user is challenged (docs/softphones.md).
    if method == .invite, request.toTag == nil, claimsRetailUser(request) { return true }
    // A softphone's CANCEL of its (authenticated) INVITE (RFC 3261 §9.2).
    if method == .cancel,
      transactions.servers[TransactionLayer.serverKey(request, via: via, method: .invite)] != nil
    {
      return true
    }
    guard method == .invite, request.toTag == nil else {
      overload.countUnknown(answered: false)
      return false
    }
    guard overload.answersUnknown(source.host, nowMs: clock.monotonicMs) else { return false }
    let record = newServerTransaction(request, key: key, via: via, method: method, source: source)
    tally.callsRefused += 1
    overload.countUnknown(answered: true)
    logRefusal(request, source: source, status: 403, reason: IngressDecision.unknownReason)
    respondLocally(record, 403, IngressDecision.unknownReason)
    transactions.terminate(record)
    return false
  }

  /// The one log line of a refused INVITE, at most one per source and
  /// reason per `overload.log_interval_seconds`, with how many were left out
  /// (the counters count them all); text from the message is escaped.
  func logRefusal(_ request: SIPMessage, source: Endpoint, status: Int, reason: String) {
    let verdict = overload.logVerdict(
      source: source.host, what: "\(status) \(reason)", nowMs: clock.monotonicMs)
    guard case .log(let suppressed) = verdict else { return }
    logger.info(
      "call refused",
      metadata: [
        "call_id": "\(LogText.escaped(request.callID))", "source": "\(source)", "status": "\(status)",
        "reason": "\(LogText.escaped(reason))", "to": "\(LogText.escaped(request.requestURI?.user))",
        "suppressed_since_last": "\(suppressed)",
      ])
  }
}
