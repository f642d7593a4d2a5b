import Digest

/// RFC 3261 §10.3 steps 3 and 6 with §22 digest authentication, throttled
/// per source and per user (docs/registrar.md).
extension Registrar {
  enum Authentication: Equatable {
    case authorized
    case challenge(stale: Bool)
    /// Valid credentials of another user (403).
    case forbidden
    /// The credentials' `uri` is not the Request-URI (400, RFC 7616 §3.4.6).
    case uriMismatch
    /// Dropped unanswered: the throttle blocks the source or the user.
    case blocked(AuthenticationThrottle.Scope)
  }

  /// The credentials for `realm` among the request's: a known user with the
  /// right response to a fresh nonce of ours, for the Request-URI, who is
  /// the address of record's user. Unknown users and wrong passwords get
  /// the same challenge and count as failures of the source and the user.
  func authenticate(
    _ request: Request, realm: String, user: String, _ verifier: DigestVerifier, _ nowMs: Int64
  ) -> Authentication {
    let credentials = request.authorizations.lazy.compactMap(DigestCredentials.init(header:))
      .first(where: { $0.realm.lowercased() == realm })
    let host = request.source.host
    if case .blocked(let scope) = throttle.admit(
      host: host, user: credentials?.username ?? user, nowMs: nowMs)
    {
      return .blocked(scope)
    }
    guard let credentials else { return .challenge(stale: false) }
    // RFC 3261 §22.4, RFC 7616 §3.4.6: the digest covers the `uri`, which
    // must name the resource of the Request-Line (else 400 Bad Request).
    guard SIPURIComparison.equivalent(credentials.uri, request.requestURI) else { return .uriMismatch }
    func failed() -> Authentication {
      throttle.recordFailure(host: host, user: credentials.username, nowMs: nowMs)
      return .challenge(stale: false)
    }
    guard let password = self.credentials[credentials.username] else { return failed() }
    switch verifier.verify(credentials, method: "REGISTER", password: password, nowMs: nowMs) {
    case .valid:
      guard credentials.username == user else { return .forbidden }
      guard useNonce(credentials, verifier, nowMs) else { return failed() }
      throttle.recordSuccess(host: host, user: credentials.username, nowMs: nowMs)
      return .authorized
    case .stale: return .challenge(stale: true)
    case .invalid: return failed()
    }
  }

  /// Whether this answer to its nonce is new: with qop, its `nc` must be
  /// higher than any before (RFC 7616 §3.4.1, §5.12); without qop (RFC
  /// 2069) a nonce is answered once.
  func useNonce(_ credentials: DigestCredentials, _ verifier: DigestVerifier, _ nowMs: Int64) -> Bool {
    var count: UInt32 = 0
    if credentials.qop != nil {
      guard let text = credentials.nc, let parsed = UInt32(text, radix: 16) else { return false }
      count = parsed
    }
    if let seen = nonceCounts[credentials.nonce], seen.untilMs >= nowMs {
      guard credentials.qop != nil, count > seen.nc else { return false }
    }
    nonceCounts[credentials.nonce] = (count, nowMs + verifier.nonces.lifetimeMs)
    if nonceCounts.count >= purgeNonceCountsAt {
      nonceCounts = nonceCounts.filter { $0.value.untilMs >= nowMs }
      purgeNonceCountsAt = max(1024, nonceCounts.count * 2)
    }
    return true
  }
}
