import Digest

/// RFC 3261 §22 digest authentication, throttled per source and per user:
/// REGISTER's (§10.3 steps 3 and 6, docs/registrar.md) and an INVITE's
/// (§22.3, docs/softphones.md) share this code, its nonces, its replay
/// table and its throttle.
extension Registrar {
  enum Authentication: Equatable {
    /// The digest username that proved itself.
    case authorized(username: String)
    case challenge(stale: Bool)
    /// Valid credentials of another user (403).
    case forbidden
    /// The credentials' `uri` is not the Request-URI (400, RFC 7616 §3.4.6).
    case uriMismatch
    /// Dropped unanswered: the throttle blocks the source or the user.
    case blocked(AuthenticationThrottle.Scope)
  }

  /// What one request offers to prove who sent it.
  struct DigestAttempt {
    /// Authorization (REGISTER) or Proxy-Authorization (INVITE) values, as written.
    var authorizations: [String]
    /// The Request-URI as written.
    var requestURI: String
    var sourceHost: String
    /// The request's method: the digest covers it (RFC 2617 §3.2.2.3).
    var method: String
    /// The user the request is for (REGISTER: its address of record's), or
    /// nil when any known user may send it (INVITE).
    var requiredUser: String?
    /// The user the throttle counts a request without credentials against.
    var claimedUser: String
  }

  /// The credentials for `realm` among the request's: a known user with the
  /// right response to a fresh nonce of ours, for the Request-URI (and the
  /// required user). Unknown users and wrong passwords get the same
  /// challenge and count as failures of the source and the user.
  func authenticate(
    _ attempt: DigestAttempt, realm: String, password: (String) -> String?, _ verifier: DigestVerifier,
    _ nowMs: Int64
  ) -> Authentication {
    let credentials = attempt.authorizations.lazy.compactMap(DigestCredentials.init(header:))
      .first(where: { $0.realm.lowercased() == realm })
    let host = attempt.sourceHost
    if case .blocked(let scope) = throttle.admit(
      host: host, user: credentials?.username ?? attempt.claimedUser, nowMs: nowMs)
    {
      return .blocked(scope)
    }
    guard let credentials else { return .challenge(stale: false) }
    // RFC 3261 §22.4, RFC 7616 §3.4.6: the digest covers the `uri`, which
    // must name the resource of the Request-Line (else 400 Bad Request).
    guard SIPURIComparison.equivalent(credentials.uri, attempt.requestURI) else { return .uriMismatch }
    func failed() -> Authentication {
      throttle.recordFailure(host: host, user: credentials.username, nowMs: nowMs)
      return .challenge(stale: false)
    }
    guard let secret = password(credentials.username) else { return failed() }
    switch verifier.verify(credentials, method: attempt.method, password: secret, nowMs: nowMs) {
    case .valid:
      if let user = attempt.requiredUser, credentials.username != user { return .forbidden }
      guard useNonce(credentials, verifier, nowMs) else { return failed() }
      throttle.recordSuccess(host: host, user: credentials.username, nowMs: nowMs)
      return .authorized(username: credentials.username)
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

  /// RFC 3261 §10.3 steps 3 and 6 for `register`: nil when the REGISTER's
  /// credentials prove the address of record's user (or no authentication
  /// is asked), else the answer: a challenge, 403, 400, or silence while blocked.
  func credentialsOutcome(_ request: Request, addressOfRecord aor: String, nowMs: Int64) -> Outcome? {
    guard let verifier else { return nil }
    let realm = Self.host(ofAddressOfRecord: aor)
    let user = Self.user(ofAddressOfRecord: aor)
    let attempt = DigestAttempt(
      authorizations: request.authorizations, requestURI: request.requestURI, sourceHost: request.source.host,
      method: "REGISTER", requiredUser: user, claimedUser: user)
    switch authenticate(attempt, realm: realm, password: { self.credentials[$0] }, verifier, nowMs) {
    case .authorized:
      return nil
    case .challenge(let stale):
      let challenges = verifier.challenges(
        realm: realm, stale: stale, nowMs: nowMs, only: challengeAlgorithm(userAgent: request.userAgent))
      return .refused(
        Refusal(
          status: 401, reason: "Unauthorized", headers: challenges.map { HeaderField("WWW-Authenticate", $0) }
        ))
    case .forbidden:
      return .refused(Refusal(status: 403, reason: "Username Does Not Match Address Of Record"))
    case .uriMismatch:
      return .refused(Refusal(status: 400, reason: "Digest URI Does Not Match Request-URI"))
    case .blocked(let scope):
      return .dropped(scope)
    }
  }
}
