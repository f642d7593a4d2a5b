import Digest
import Foundation
import SIPCore
import Testing

@testable import Proxy

/// RFC 3261 §10.3 steps 3 and 6 with digest authentication (§22): who may
/// register, and the challenges the others get.
@Suite struct RegistrarAuthenticationTests {
  static let secret = [UInt8](repeating: 9, count: 32)
  static let phone = Endpoint(transport: .udp, host: "192.0.2.10", port: 40_000)

  static func registrar(algorithms: [DigestHash] = [.sha256, .md5], md5OnlyUserAgents: [String] = [])
    -> Registrar
  {
    var configuration = RegistrarConfiguration(
      domains: ["example.com"], authentication: .digest(algorithms: algorithms, nonceLifetimeSeconds: 300))
    configuration.md5OnlyUserAgents = md5OnlyUserAgents
    let registrar = Registrar(configuration: configuration, nonceSecret: secret)
    registrar.credentials = ["alice": "s3cret", "bob": "b0b"]
    return registrar
  }

  static func request(to: String = "<sip:alice@example.com>", authorizations: [String] = [], cseq: UInt32 = 1)
    -> Registrar.Request
  {
    Registrar.Request(
      requestURI: "sip:example.com", to: to, contacts: ["<sip:alice@192.0.2.10:40000>"], expires: 600,
      callID: "c1", cseq: cseq,
      source: phone,
      authorizations: authorizations)
  }

  /// The Authorization header a phone would send for `nonce`.
  static func authorization(
    user: String = "alice", password: String = "s3cret", realm: String = "example.com", nonce: String,
    hash: DigestHash = .md5, nc: String = "00000001", uri: String = "sip:example.com"
  ) -> String {
    var credentials = DigestCredentials(
      username: user, realm: realm, nonce: nonce, uri: uri, response: "",
      algorithm: hash.rawValue, cnonce: "abc123", qop: "auth", nc: nc)
    credentials.response = DigestVerifier.expectedResponse(
      credentials, method: "REGISTER", password: password, hash: hash)
    return "Digest username=\"\(user)\", realm=\"\(realm)\", nonce=\"\(nonce)\", uri=\"\(uri)\", "
      + "response=\"\(credentials.response)\", algorithm=\(hash.rawValue), cnonce=\"abc123\", qop=auth, nc=\(nc)"
  }

  static func refusal(_ outcome: Registrar.Outcome) -> Refusal? {
    if case .refused(let refusal) = outcome { return refusal }
    return nil
  }

  /// The nonce of a 401's first challenge.
  static func nonce(_ refusal: Refusal?) throws -> String {
    let challenge = try #require(refusal?.headers.first { $0.name == "WWW-Authenticate" }?.value)
    let start = try #require(challenge.range(of: "nonce=\"")).upperBound
    return String(challenge[start...].prefix { $0 != "\"" })
  }

  @Test func withoutCredentialsTheRegisterIsChallengedOncePerAlgorithm() throws {
    let registrar = Self.registrar()
    let refusal = try #require(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    #expect(refusal.status == 401 && refusal.reason == "Unauthorized")
    let challenges = refusal.headers.filter { $0.name == "WWW-Authenticate" }.map(\.value)
    #expect(challenges.count == 2)
    #expect(challenges[0].hasPrefix("Digest realm=\"example.com\", nonce=\""))
    #expect(challenges[0].hasSuffix(", algorithm=SHA-256, qop=\"auth\""))
    #expect(challenges[1].hasSuffix(", algorithm=MD5, qop=\"auth\""))
    #expect(registrar.bindingCount == 0)
  }

  @Test func aUserAgentInTheMD5OnlyListIsChallengedWithMD5AloneAndRegisters() throws {
    let registrar = Self.registrar(md5OnlyUserAgents: ["baresip"])
    var request = Self.request()
    request.userAgent = "baresip v1.0.0 (x86_64/linux)"
    let refusal = try #require(Self.refusal(registrar.register(request, nowMs: 1_000)))
    let challenges = refusal.headers.filter { $0.name == "WWW-Authenticate" }.map(\.value)
    #expect(challenges.count == 1 && challenges[0].hasSuffix(", algorithm=MD5, qop=\"auth\""))
    var answer = Self.request(authorizations: [Self.authorization(nonce: try Self.nonce(refusal))], cseq: 2)
    answer.userAgent = request.userAgent
    guard case .registered = registrar.register(answer, nowMs: 2_000) else {
      Issue.record("not registered")
      return
    }
    // Another client still gets both, SHA-256 first; with MD5 not offered at all, the list is kept.
    #expect(registrar.challengeAlgorithm(userAgent: "Linphone/5.2") == nil)
    let sha256Only = Self.registrar(algorithms: [.sha256], md5OnlyUserAgents: ["baresip"])
    let only = try #require(Self.refusal(sha256Only.register(request, nowMs: 1_000)))
    #expect(only.headers.filter { $0.name == "WWW-Authenticate" }.map(\.value).count == 1)
    #expect(only.headers.first?.value.hasSuffix(", algorithm=SHA-256, qop=\"auth\"") == true)
  }

  @Test(arguments: [DigestHash.md5, .sha256])
  func theRightAnswerToTheChallengeRegisters(_ hash: DigestHash) throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    let outcome = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: nonce, hash: hash)], cseq: 2), nowMs: 2_000)
    guard case .registered(let aor, let bindings) = outcome else {
      Issue.record("not registered: \(outcome)")
      return
    }
    #expect(aor == "sip:alice@example.com" && bindings.count == 1)
  }

  @Test func aWrongPasswordOrAnUnknownUserIsChallengedAgain() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    for header in [
      Self.authorization(password: "guess", nonce: nonce),
      Self.authorization(user: "mallory", password: "x", nonce: nonce),
      Self.authorization(realm: "other.example", nonce: nonce),
      "Digest username=\"alice\", realm=\"example.com\"",
      "NewAuth realm=\"example.com\"",
    ] {
      let refusal = Self.refusal(registrar.register(Self.request(authorizations: [header]), nowMs: 2_000))
      #expect(refusal?.status == 401, "\(header)")
      #expect(refusal?.headers.first?.value.contains("stale") == false)
    }
    #expect(registrar.bindingCount == 0)
  }

  @Test func anotherUsersCredentialsMayNotRegisterThisAddress() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    let refusal = Self.refusal(
      registrar.register(
        Self.request(authorizations: [Self.authorization(user: "bob", password: "b0b", nonce: nonce)]),
        nowMs: 2_000))
    #expect(refusal?.status == 403 && refusal?.reason == "Username Does Not Match Address Of Record")
  }

  @Test func anExpiredNonceGetsAStaleChallenge() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    let refusal = Self.refusal(
      registrar.register(Self.request(authorizations: [Self.authorization(nonce: nonce)]), nowMs: 302_000))
    #expect(refusal?.status == 401)
    #expect(refusal?.headers.allSatisfy { $0.value.hasSuffix(", stale=true") } == true)
    let fresh = try Self.nonce(refusal)
    #expect(fresh != nonce)
    let retried = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: fresh)], cseq: 3), nowMs: 303_000)
    #expect(Self.refusal(retried) == nil)
  }

  /// The digest does not cover the Contact: a captured header sent again
  /// (by anyone, with any Contact) must not register.
  @Test func anAnswerCannotBeReplayedOnlyAHigherNonceCountPasses() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    let header = Self.authorization(nonce: nonce)
    #expect(
      Self.refusal(registrar.register(Self.request(authorizations: [header], cseq: 2), nowMs: 2_000)) == nil)
    var replay = Self.request(authorizations: [header], cseq: 3)
    replay.contacts = ["<sip:mallory@198.51.100.1>"]
    replay.callID = "other"
    #expect(Self.refusal(registrar.register(replay, nowMs: 3_000))?.status == 401)
    let next = Self.authorization(nonce: nonce, nc: "00000002")
    #expect(
      Self.refusal(registrar.register(Self.request(authorizations: [next], cseq: 4), nowMs: 4_000)) == nil)
    #expect(
      Self.refusal(registrar.register(Self.request(authorizations: [next], cseq: 5), nowMs: 5_000))?.status
        == 401)
  }

  /// The live brute-force test's failure: alice and bob challenged in the
  /// same millisecond got one nonce, and the second to answer with nc=1
  /// was taken for a replay of the first.
  @Test func twoUsersChallengedInOneMillisecondBothRegister() throws {
    let registrar = Self.registrar()
    let forAlice = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    var bob = Self.request(to: "<sip:bob@example.com>")
    bob.callID = "c2"
    let forBob = try Self.nonce(Self.refusal(registrar.register(bob, nowMs: 1_000)))
    #expect(forAlice != forBob)
    bob.authorizations = [Self.authorization(user: "bob", password: "b0b", nonce: forBob)]
    bob.cseq = 2
    #expect(Self.refusal(registrar.register(bob, nowMs: 1_001)) == nil)
    let alice = Self.request(authorizations: [Self.authorization(nonce: forAlice)], cseq: 2)
    #expect(Self.refusal(registrar.register(alice, nowMs: 1_001)) == nil)
  }

  @Test func withoutQopANonceIsAnsweredOnce() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    var credentials = DigestCredentials(
      username: "alice", realm: "example.com", nonce: nonce, uri: "sip:example.com", response: "")
    credentials.response = DigestVerifier.expectedResponse(
      credentials, method: "REGISTER", password: "s3cret", hash: .md5)
    let header =
      "Digest username=\"alice\", realm=\"example.com\", nonce=\"\(nonce)\", uri=\"sip:example.com\", "
      + "response=\"\(credentials.response)\""
    #expect(
      Self.refusal(registrar.register(Self.request(authorizations: [header], cseq: 2), nowMs: 2_000)) == nil)
    #expect(
      Self.refusal(registrar.register(Self.request(authorizations: [header], cseq: 3), nowMs: 3_000))?.status
        == 401)
  }

  @Test func credentialsChangeWithTheSnapshot() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    registrar.credentials = ["alice": "n3w"]
    let old = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: nonce)]), nowMs: 2_000)
    #expect(Self.refusal(old)?.status == 401)
    let new = registrar.register(
      Self.request(authorizations: [Self.authorization(password: "n3w", nonce: nonce)], cseq: 2), nowMs: 2_000
    )
    #expect(Self.refusal(new) == nil)
  }

  /// RFC 3261 §22.4, RFC 7616 §3.4.6: the digest's `uri` must be the
  /// Request-URI (RFC 3261 §19.1.4 equality); otherwise 400 Bad Request,
  /// even with the right password, and nothing is registered.
  @Test(arguments: ["sip:other.example.com", "sip:example.com:5060", "sip:example.com;transport=tcp"])
  func aDigestForAnotherURIGets400(_ uri: String) throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    let refusal = Self.refusal(
      registrar.register(
        Self.request(authorizations: [Self.authorization(nonce: nonce, uri: uri)], cseq: 2), nowMs: 2_000))
    #expect(refusal?.status == 400 && refusal?.reason == "Digest URI Does Not Match Request-URI")
    #expect(registrar.bindingCount == 0)
  }

  @Test(arguments: ["SIP:EXAMPLE.COM", "sip:%65xample.com", "sip:example.com;foo=bar"])
  func aDigestForAnEquivalentURIRegisters(_ uri: String) throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    let outcome = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: nonce, uri: uri)], cseq: 2), nowMs: 2_000)
    #expect(Self.refusal(outcome) == nil)
  }

  /// Five wrong passwords from one address: the right one is then dropped
  /// unanswered while the block lasts (60 s), and registers after it.
  @Test func afterFiveWrongPasswordsTheRightOneIsDroppedUntilTheBlockEnds() throws {
    let registrar = Self.registrar()
    var now: Int64 = 1_000
    var nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: now)))
    for attempt in 1...5 {
      now += 100
      let header = Self.authorization(
        password: "guess\(attempt)", nonce: nonce, nc: String(format: "%08x", attempt))
      let refusal = Self.refusal(registrar.register(Self.request(authorizations: [header]), nowMs: now))
      #expect(refusal?.status == 401)
      nonce = try Self.nonce(refusal)
    }
    now += 100
    let right = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: nonce)]), nowMs: now)
    #expect(right == .dropped(.source))
    #expect(registrar.register(Self.request(), nowMs: now) == .dropped(.source))
    #expect(registrar.bindingCount == 0)
    #expect(registrar.throttle.counters.failures == 5 && registrar.throttle.counters.sourceBlocks == 1)
    now += 60_000
    nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: now)))
    let after = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: nonce)], cseq: 2), nowMs: now + 100)
    #expect(Self.refusal(after) == nil && registrar.bindingCount == 1)
  }

  /// The phone that registered keeps registering from its address while an
  /// attacker elsewhere has the user blocked.
  @Test func aPhoneRegistersFromItsAddressWhileItsUserIsBlocked() throws {
    let registrar = Self.registrar()
    let nonce = try Self.nonce(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)))
    #expect(
      Self.refusal(
        registrar.register(Self.request(authorizations: [Self.authorization(nonce: nonce)]), nowMs: 1_100))
        == nil)
    for index in 1...5 {
      var attack = Self.request(
        authorizations: [
          Self.authorization(password: "x", nonce: nonce, nc: String(format: "%08x", index + 1))
        ])
      attack.source = Endpoint(transport: .udp, host: "198.51.100.\(index)", port: 5060)
      #expect(Self.refusal(registrar.register(attack, nowMs: 2_000))?.status == 401)
    }
    var stranger = Self.request()
    stranger.source = Endpoint(transport: .udp, host: "198.51.100.99", port: 5060)
    #expect(registrar.register(stranger, nowMs: 3_000) == .dropped(.user))
    let refresh = registrar.register(
      Self.request(authorizations: [Self.authorization(nonce: nonce, nc: "00000010")], cseq: 2), nowMs: 3_000)
    #expect(Self.refusal(refresh) == nil)
  }

  @Test func withoutAuthenticationAnyRegisterIsAccepted() {
    let registrar = Registrar(configuration: RegistrarConfiguration(domains: ["example.com"]))
    #expect(Self.refusal(registrar.register(Self.request(), nowMs: 1_000)) == nil)
  }
}
