import Digest
import Policy
import SIPCore
import SIPTransaction

/// Who an out-of-dialog INVITE is from (docs/softphones.md): an identified
/// interconnect's call goes to the router as before; a call that claims a
/// softphone user (a registrar domain in From, or Proxy-Authorization) from
/// anything else is challenged with 407 (RFC 3261 §22.3), verified with
/// the registrar's digest code, nonces, replay table and throttle, then
/// routed as its user's call: on-net to the callee's phones, else through
/// the call pipeline as the user's retail ingress service. Nothing else
/// reaches a registrar domain's phones.
extension ProxyCore {
  /// Whether `request` says it is from a softphone user of this switch's
  /// registrar (which must authenticate with digest).
  func claimsRetailUser(_ request: SIPMessage) -> Bool {
    guard let registrar, registrar.verifier != nil else { return false }
    return request.proxyAuthorizationCount > 0 || registrar.serves(host: request.fromURI?.host)
  }

  /// An out-of-dialog INVITE: a user's (authenticated), an interconnect's
  /// for a registrar domain (its phones), or an interconnect's (the router).
  func receiveOutOfDialogInvite(
    _ request: SIPMessage, source: Endpoint, local: Endpoint, record: ServerTransactionRecord
  ) {
    if let registrar, claimsRetailUser(request), !router.identifiesInterconnect(request, source: source) {
      guard let caller = authenticateCaller(request, registrar, source: source, record: record) else {
        return
      }
      // §22.3: the credentials were for this proxy; they go no further.
      request.removeProxyAuthorizations()
      let onNet = onNetRouter(request, registrar, caller: caller)
      receiveInitialInvite(
        request, source: source, local: local, record: record, router: onNet ?? router, caller: caller)
      return
    }
    if let registrar, registrar.serves(host: request.requestURI?.host) {
      // A call for a registrar domain's phones from neither an identified
      // interconnect nor an authenticated user rings nobody.
      guard router.identifiesInterconnect(request, source: source) else {
        refuseCaller(request, source: source, record: record, 403, IngressDecision.unknownReason)
        return
      }
      receiveInitialInvite(
        request, source: source, local: local, record: record, router: RegistrarRouter(registrar: registrar))
      return
    }
    receiveInitialInvite(request, source: source, local: local, record: record, router: router)
  }

  /// RFC 3261 §22.3: the caller's Proxy-Authorization for our realm, or a
  /// 407 with one Proxy-Authenticate per algorithm. Unknown users and wrong
  /// passwords get the same 407; an inactive user or device, once proven,
  /// gets 403 naming which. Nil once answered (or dropped by the throttle).
  private func authenticateCaller(
    _ request: SIPMessage, _ registrar: Registrar, source: Endpoint, record: ServerTransactionRecord
  ) -> RetailCaller? {
    guard let verifier = registrar.verifier, let directory = router.retail else {
      refuseCaller(request, source: source, record: record, 403, IngressDecision.unknownReason)
      return nil
    }
    let realm = callerRealm(request, registrar)
    let written = request.withOriginalBytes { bytes -> (uri: String, credentials: [String]) in
      let head = RawSIPHead(scanning: bytes)
      func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
      let uri = text(head.startLine).split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
      return (uri.map(String.init) ?? "", head.proxyAuthorizations.map(text))
    }
    let attempt = Registrar.DigestAttempt(
      authorizations: written.credentials, requestURI: written.uri, sourceHost: source.host, method: "INVITE",
      requiredUser: nil, claimedUser: request.fromURI?.user ?? "")
    let now = clock.monotonicMs
    let outcome = registrar.authenticate(
      attempt, realm: realm, password: { directory.device(named: $0)?.sipPassword }, verifier, now)
    logThrottleReports(registrar.throttle)
    switch outcome {
    case .authorized(let username):
      guard let device = directory.device(named: username), let user = directory.user(id: device.userID),
        user.isActive
      else {
        refuseCaller(request, source: source, record: record, 403, "User Inactive")
        return nil
      }
      guard device.isActive else {
        refuseCaller(request, source: source, record: record, 403, "Device Inactive")
        return nil
      }
      tally.callersAuthenticated += 1
      return RetailCaller(device: device, user: user)
    case .challenge(let stale):
      tally.callerChallenges += 1
      respondLocally(
        record, 407, "Proxy Authentication Required",
        extra: verifier.challenges(
          realm: realm, stale: stale, nowMs: now,
          only: registrar.challengeAlgorithm(userAgent: request.headerValues("user-agent").first)
        ).map { ("Proxy-Authenticate", $0) })
    case .forbidden:
      refuseCaller(request, source: source, record: record, 403, "Forbidden")
    case .uriMismatch:
      refuseCaller(request, source: source, record: record, 400, "Digest URI Does Not Match Request-URI")
    case .blocked:
      // Blocked after failed authentications: silence, as for REGISTER.
      transactions.terminate(record)
    }
    return nil
  }

  /// The realm of a caller's challenge: From's registrar domain, else the
  /// Request-URI's, else the first of the registrar's domains.
  private func callerRealm(_ request: SIPMessage, _ registrar: Registrar) -> String {
    for host in [request.fromURI?.host, request.requestURI?.host] {
      if let host, registrar.serves(host: host) { return host.lowercased() }
    }
    return registrar.configuration.domains.sorted().first ?? ""
  }

  /// An on-net call (docs/softphones.md "On-net calls"): the Request-URI's
  /// user is an active number of a user (whose devices' bindings are the
  /// targets), or the Request-URI is an address of record of a registrar
  /// domain whose user is a device's SIP username or has bindings. A number
  /// at a registrar domain that is neither (a phone dialling
  /// `sip:15551234@<its domain>`) is not on-net: it goes to the pipeline.
  private func onNetRouter(_ request: SIPMessage, _ registrar: Registrar, caller: RetailCaller)
    -> (any CallRouter)?
  {
    guard let directory = router.retail, let user = request.requestURI?.user else { return nil }
    if let callee = directory.owner(ofNumber: numberWithoutUserParameters(user)) {
      let domains = registrar.configuration.domains.sorted()
      let addresses = directory.usernames(ofUser: callee.id).flatMap { name in
        domains.map { "sip:\(name)@\($0)" }
      }
      return RegistrarRouter(registrar: registrar, addresses: addresses, caller: caller)
    }
    guard registrar.serves(host: request.requestURI?.host) else { return nil }
    if directory.device(named: user) != nil
      || !registrar.lookup(request.requestURIText ?? "", nowMs: clock.monotonicMs).isEmpty
    {
      return RegistrarRouter(registrar: registrar, caller: caller)
    }
    return nil
  }

  private func refuseCaller(
    _ request: SIPMessage, source: Endpoint, record: ServerTransactionRecord, _ status: Int, _ reason: String
  ) {
    tally.callsRefused += 1
    logRefusal(request, source: source, status: status, reason: reason)
    respondLocally(record, status, reason)
  }
}
