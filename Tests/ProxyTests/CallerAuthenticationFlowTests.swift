import Digest
import Foundation
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Softphone users placing calls (docs/softphones.md): an out-of-dialog
/// INVITE that claims a registrar domain's user is challenged with 407
/// (RFC 3261 §22.3), verified with the registrar's digest code, and routed
/// through the call pipeline as its user's retail ingress service; nothing
/// unauthenticated from an unknown source rings a phone.
@Suite struct CallerAuthenticationFlowTests {
  typealias H = FlowHarness
  static let domain = RetailFlowFixture.domain
  /// A phone on an address no interconnect has (the customer trunk is
  /// 10.0.0.0/24, the supplier 127.0.0.1): an unknown source.
  static let phone = Endpoint(transport: .udp, host: "198.51.100.20", port: 5090)
  static let calleePhone = Endpoint(transport: .udp, host: "192.0.2.77", port: 40_123)

  static func snapshot(monthlyCallLimit: Int? = nil) throws -> Snapshot {
    let retail = RetailDirectory(
      users: [
        RetailUser(id: "1", carrierID: "c9", monthlyCallLimit: monthlyCallLimit),
        RetailUser(id: "2", isActive: false, carrierID: "c9"),
        RetailUser(id: "3", carrierID: "c9"), RetailUser(id: "4", carrierID: "c9"),
      ],
      devices: [
        DeviceRegistration(sipUsername: "1001", sipPassword: "pw1001", userID: "1"),
        DeviceRegistration(sipUsername: "2002", sipPassword: "pw2002", userID: "2"),
        DeviceRegistration(sipUsername: "3003", sipPassword: "pw3003", isActive: false, userID: "3"),
        DeviceRegistration(sipUsername: "1002", sipPassword: "pw1002", userID: "4"),
      ],
      numbers: [
        PhoneNumber(id: "12", number: "15550009999", userID: "1"),
        PhoneNumber(id: "11", number: "15550001001", userID: "1", isPrimary: true),
        PhoneNumber(id: "14", number: "15550001002", userID: "4", isPrimary: true),
      ])
    return try RetailFlowFixture.snapshot(retail: retail)
  }

  static func harness(
    monthlyCallLimit: Int? = nil, emergencyNumbers: Set<String> = [], md5OnlyUserAgents: [String] = []
  ) throws -> FlowHarness {
    let h = FlowHarness(
      router: CallPipeline(
        snapshot: try snapshot(monthlyCallLimit: monthlyCallLimit), emergencyNumbers: emergencyNumbers))
    var configuration = RegistrarConfiguration(
      domains: [domain], authentication: .digest(algorithms: [.md5, .sha256], nonceLifetimeSeconds: 300))
    configuration.md5OnlyUserAgents = md5OnlyUserAgents
    let registrar = Registrar(configuration: configuration, nonceSecret: [UInt8](repeating: 7, count: 32))
    registrar.credentials = ["1001": "pw1001", "1002": "pw1002"]
    h.core.registrar = registrar
    return h
  }

  static func invite(
    from user: String = "1001", to target: String = "15551234@127.0.0.1:5070", callID: String = "uc-1",
    branch: String = "z9hG4bK-u1", cseq: Int = 1, extra: [String] = []
  ) -> String {
    ([
      "INVITE sip:\(target) SIP/2.0", "Via: SIP/2.0/UDP 198.51.100.20:5090;branch=\(branch)",
      "From: <sip:\(user)@\(domain)>;tag=ph1", "To: <sip:\(target)>", "Call-ID: \(callID)",
      "CSeq: \(cseq) INVITE", "Contact: <sip:\(user)@198.51.100.20:5090>", "Max-Forwards: 70",
    ] + extra + ["Content-Length: 0", "", ""]).joined(separator: "\n")
  }

  /// The Proxy-Authorization a phone sends for `nonce`.
  static func credentials(
    user: String = "1001", password: String = "pw1001", nonce: String, nc: String = "00000001",
    uri: String = "sip:15551234@127.0.0.1:5070", hash: DigestHash = .md5
  ) -> String {
    var credentials = DigestCredentials(
      username: user, realm: domain, nonce: nonce, uri: uri, response: "", algorithm: hash.rawValue,
      cnonce: "c0ffee", qop: "auth", nc: nc)
    credentials.response = DigestVerifier.expectedResponse(
      credentials, method: "INVITE", password: password, hash: hash)
    return "Proxy-Authorization: Digest username=\"\(user)\", realm=\"\(domain)\", nonce=\"\(nonce)\", "
      + "uri=\"\(uri)\", response=\"\(credentials.response)\", algorithm=\(hash.rawValue), "
      + "cnonce=\"c0ffee\", qop=auth, nc=\(nc)"
  }

  /// The final response just sent to the phone.
  static func answer(_ h: FlowHarness) throws -> RecordingSender.Sent {
    try #require(h.sender.take().last { $0.message.statusCode >= 200 })
  }

  /// Sends the INVITE without credentials and returns the nonce of its 407.
  static func challenge(
    _ h: FlowHarness, from user: String = "1001", to target: String = "15551234@127.0.0.1:5070"
  )
    throws -> String
  {
    h.deliver(invite(from: user, to: target, callID: "ch-\(user)", branch: "z9hG4bK-ch-\(user)"), from: phone)
    let sent = try answer(h)
    #expect(sent.message.statusCode == 407)
    let header = try #require(
      sent.text.components(separatedBy: "\r\n").first { $0.hasPrefix("Proxy-Authenticate: ") })
    let start = try #require(header.range(of: "nonce=\"")).upperBound
    return String(header[start...].prefix { $0 != "\"" })
  }

  @Test func anInviteFromAUserIsChallengedWith407OncePerAlgorithm() throws {
    let h = try Self.harness()
    h.deliver(Self.invite(), from: Self.phone)
    let sent = try Self.answer(h)
    #expect(sent.message.statusCode == 407)
    #expect(sent.text.contains("407 Proxy Authentication Required"))
    let challenges = sent.text.components(separatedBy: "\r\n").filter { $0.hasPrefix("Proxy-Authenticate: ") }
    #expect(challenges.count == 2)
    #expect(challenges[0].contains("realm=\"demo.test\"") && challenges[0].contains("algorithm=MD5"))
    #expect(challenges[1].contains("algorithm=SHA-256"))
    #expect(h.core.counters.callerChallenges == 1)
    #expect(h.core.counters.invitesForwarded == 0)
  }

  /// baresip 1.0 gives up on a 407 that also offers SHA-256: a User-Agent
  /// in `md5OnlyUserAgents` is challenged with MD5 alone; others with both.
  @Test(arguments: [
    ("baresip v1.0.0 (x86_64/linux)", ["MD5"]), ("BARESIP/2.0", ["MD5"]),
    ("Linphone/5.0", ["MD5", "SHA-256"]),
    ("", ["MD5", "SHA-256"]),
  ])
  func aUserAgentThatCannotSkipAnAlgorithmIsChallengedWithMD5Alone(agent: String, expected: [String]) throws {
    let h = try Self.harness(md5OnlyUserAgents: ["baresip"])
    h.deliver(Self.invite(extra: agent.isEmpty ? [] : ["User-Agent: \(agent)"]), from: Self.phone)
    let sent = try Self.answer(h)
    #expect(sent.message.statusCode == 407)
    let algorithms = sent.text.components(separatedBy: "\r\n").filter { $0.hasPrefix("Proxy-Authenticate: ") }
      .compactMap { $0.components(separatedBy: "algorithm=").last?.components(separatedBy: ",").first }
    #expect(algorithms == expected)
  }

  @Test(arguments: [DigestHash.md5, .sha256])
  func theRightAnswerIsRoutedThroughThePipelineAsTheUsersNumber(hash: DigestHash) throws {
    let h = try Self.harness()
    let nonce = try Self.challenge(h)
    h.deliver(
      Self.invite(
        cseq: 2,
        extra: [
          Self.credentials(nonce: nonce, hash: hash), "P-Asserted-Identity: <sip:15550001002@demo.test>",
        ]),
      from: Self.phone)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == H.uas)
    // The supplier sees the user's primary number, never its SIP username,
    // nor the number it asserted, nor its credentials.
    #expect(forwarded.message.fromURI?.user == "15550001001")
    #expect(!forwarded.text.contains("15550001002"))
    #expect(!forwarded.text.lowercased().contains("proxy-authorization"))
    #expect(h.core.counters.callersAuthenticated == 1)
    h.deliver(H.response(to: forwarded.message, status: 486, reason: "Busy Here"), from: H.uas)
    let summary = try #require(h.ended.first)
    #expect(summary.ingress == CarrierLeg(carrierID: "c9", interconnectID: "i9", serviceID: "s9"))
    #expect(summary.egress?.serviceID == "s2")
    #expect(summary.fromUser == "15550001001")
    #expect(summary.callRecord.userID == "1")
    #expect(summary.callRecord.phoneNumberID == "11")
  }

  /// The phone is no interconnect: its CANCEL must still reach its call.
  @Test func theUsersCancelEndsItsRingingCall() throws {
    let h = try Self.harness()
    let nonce = try Self.challenge(h)
    h.deliver(Self.invite(cseq: 2, extra: [Self.credentials(nonce: nonce)]), from: Self.phone)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    h.deliver(H.response(to: forwarded.message, status: 180, reason: "Ringing"), from: H.uas)
    _ = h.sender.take()
    h.deliver(
      [
        "CANCEL sip:15551234@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 198.51.100.20:5090;branch=z9hG4bK-u1",
        "From: <sip:1001@\(Self.domain)>;tag=ph1", "To: <sip:15551234@127.0.0.1:5070>", "Call-ID: uc-1",
        "CSeq: 2 CANCEL", "Max-Forwards: 70", "Content-Length: 0", "", "",
      ].joined(separator: "\n"), from: Self.phone)
    let sent = h.sender.take()
    #expect(sent.contains { $0.destination == Self.phone && $0.message.statusCode == 200 })
    #expect(sent.contains { $0.destination == H.uas && $0.message.method == .cancel })
  }

  /// Phones dial numbers at their own domain: one that is no user's goes
  /// to the pipeline like any PSTN number.
  @Test func aNumberDialledAtTheRegistrarDomainThatIsNoUsersGoesToTheSupplier() throws {
    let h = try Self.harness()
    let target = "15551234@\(Self.domain)"
    let nonce = try Self.challenge(h, to: target)
    h.deliver(
      Self.invite(to: target, cseq: 2, extra: [Self.credentials(nonce: nonce, uri: "sip:\(target)")]),
      from: Self.phone)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == H.uas)
    #expect(forwarded.message.requestURI?.user == "15551234")
  }

  @Test func aWrongPasswordAndAnUnknownUserGetTheSame407() throws {
    let h = try Self.harness()
    let nonce = try Self.challenge(h)
    h.deliver(
      Self.invite(cseq: 2, extra: [Self.credentials(password: "wrong", nonce: nonce)]), from: Self.phone)
    let wrong = try Self.answer(h)
    h.deliver(
      Self.invite(
        from: "9999", callID: "uc-2", branch: "z9hG4bK-u2", cseq: 2,
        extra: [Self.credentials(user: "9999", password: "x", nonce: nonce)]),
      from: Self.phone)
    let unknown = try Self.answer(h)
    #expect(wrong.message.statusCode == 407 && unknown.message.statusCode == 407)
    #expect(wrong.message.reasonPhrase == unknown.message.reasonPhrase)
    #expect(h.core.counters.invitesForwarded == 0)
  }

  /// INVITEs and REGISTERs share the throttle: five wrong INVITE answers
  /// block the source, whose next REGISTER and INVITE go unanswered.
  @Test func wrongInviteAnswersBlockTheSourceForRegisterToo() throws {
    let h = try Self.harness()
    let nonce = try Self.challenge(h)
    for attempt in 1...5 {
      h.deliver(
        Self.invite(
          callID: "bf-\(attempt)", branch: "z9hG4bK-bf-\(attempt)", cseq: 2,
          extra: [Self.credentials(password: "guess\(attempt)", nonce: nonce)]),
        from: Self.phone)
      #expect(try Self.answer(h).message.statusCode == 407)
    }
    h.deliver(Self.invite(callID: "bf-6", branch: "z9hG4bK-bf-6"), from: Self.phone)
    #expect(h.sender.take().isEmpty)
    h.deliver(
      Self.register.replacingOccurrences(of: "192.0.2.77:40123", with: "198.51.100.20:5090"), from: Self.phone
    )
    #expect(h.sender.take().isEmpty)
    #expect(h.core.counters.invitesForwarded == 0)
  }

  @Test func aReplayedNonceCountIsRefused() throws {
    let h = try Self.harness()
    let nonce = try Self.challenge(h)
    let answer = Self.credentials(nonce: nonce)
    h.deliver(Self.invite(cseq: 2, extra: [answer]), from: Self.phone)
    #expect(h.sender.take().contains { $0.message.method == .invite })
    // The same Proxy-Authorization (nc=1) on a new INVITE.
    h.deliver(
      Self.invite(callID: "uc-replay", branch: "z9hG4bK-replay", cseq: 2, extra: [answer]), from: Self.phone)
    #expect(try Self.answer(h).message.statusCode == 407)
    #expect(h.core.counters.invitesForwarded == 1)
  }

  @Test(arguments: [("2002", "pw2002", "User Inactive"), ("3003", "pw3003", "Device Inactive")])
  func anInactiveUserOrDeviceGets403NamingIt(user: String, password: String, reason: String) throws {
    let h = try Self.harness()
    let nonce = try Self.challenge(h, from: user)
    h.deliver(
      Self.invite(
        from: user, cseq: 2, extra: [Self.credentials(user: user, password: password, nonce: nonce)]),
      from: Self.phone)
    let sent = try Self.answer(h)
    #expect(sent.message.statusCode == 403)
    #expect(sent.message.reasonPhrase == reason)
    #expect(h.core.counters.invitesForwarded == 0)
  }

  static let register = """
    REGISTER sip:demo.test SIP/2.0
    Via: SIP/2.0/UDP 192.0.2.77:40123;branch=z9hG4bK-reg-1;rport
    Max-Forwards: 70
    From: <sip:1002@demo.test>;tag=r1
    To: <sip:1002@demo.test>
    Call-ID: reg-1
    CSeq: 1 REGISTER
    Contact: <sip:1002@192.0.2.77:40123>;expires=300
    Content-Length: 0


    """

  /// Registers 1002 (challenged, then with the right answer) from `calleePhone`.
  static func registerCallee(_ h: FlowHarness) throws {
    h.deliver(register, from: calleePhone)
    let sent = try answer(h)
    let header = try #require(
      sent.text.components(separatedBy: "\r\n").first { $0.hasPrefix("WWW-Authenticate: ") })
    let start = try #require(header.range(of: "nonce=\"")).upperBound
    let nonce = String(header[start...].prefix { $0 != "\"" })
    let authorization = RegistrarAuthenticationTests.authorization(
      user: "1002", password: "pw1002", realm: domain, nonce: nonce, uri: "sip:demo.test")
    h.deliver(
      register.replacingOccurrences(of: "CSeq: 1", with: "CSeq: 2").replacingOccurrences(
        of: "reg-1;rport", with: "reg-2;rport"
      ).replacingOccurrences(
        of: "Content-Length: 0", with: "Authorization: \(authorization)\nContent-Length: 0"),
      from: calleePhone)
    let registered = try answer(h)
    #expect(registered.message.statusCode == 200, "\(registered.text)")
  }

  /// The hole: a call for a registered phone from an address no
  /// interconnect has, with no credentials and a From of another domain.
  @Test func anUnauthenticatedInviteForARegisteredPhoneFromAnUnknownSourceGets403() throws {
    let h = try Self.harness()
    try Self.registerCallee(h)
    let stranger = Endpoint(transport: .udp, host: "198.51.100.9", port: 5060)
    h.deliver(
      Self.invite(to: "1002@demo.test").replacingOccurrences(
        of: "@demo.test>;tag", with: "@evil.example>;tag"),
      from: stranger)
    let sent = h.sender.take()
    #expect(sent.count == 1)
    #expect(sent.first?.message.statusCode == 403)
    #expect(sent.first?.destination.host == stranger.host)
    #expect(!sent.contains { $0.destination == Self.calleePhone })
    #expect(h.core.counters.invitesForwarded == 0)
  }

  @Test func anInterconnectStillReachesARegisteredPhone() throws {
    let h = try Self.harness()
    try Self.registerCallee(h)
    let trunk = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)
    h.deliver(
      Self.invite(to: "1002@demo.test").replacingOccurrences(of: "@demo.test>;tag", with: "@10.0.0.5>;tag"),
      from: trunk)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == Self.calleePhone)
  }

  @Test(arguments: ["15550001002@127.0.0.1:5070", "1002@demo.test"])
  func anOnNetCallReachesTheCalleesBindingAsTheCallersNumber(target: String) throws {
    let h = try Self.harness()
    try Self.registerCallee(h)
    let nonce = try Self.challenge(h, to: target)
    h.deliver(
      Self.invite(to: target, cseq: 2, extra: [Self.credentials(nonce: nonce, uri: "sip:\(target)")]),
      from: Self.phone)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == Self.calleePhone)
    #expect(forwarded.message.requestURIText == "sip:1002@192.0.2.77:40123")
    #expect(forwarded.message.fromURI?.user == "15550001001")
    h.deliver(H.response(to: forwarded.message, status: 486, reason: "Busy Here"), from: Self.calleePhone)
    let record = try #require(h.ended.first).callRecord
    #expect(record.userID == "1")
    // On-net calls are not rated: no price, no charge (docs/softphones.md).
    #expect(record.customerCharge == nil && record.charges.isEmpty)
  }
}
