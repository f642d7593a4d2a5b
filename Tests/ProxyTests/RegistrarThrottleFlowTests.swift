import Digest
import SIPCore
import Testing

@testable import Proxy

/// Brute force against the registrar through the proxy core: wrong
/// passwords get 401 until the source is blocked, then nothing at all (no
/// response, no transaction left behind) until the block ends; a digest for
/// another URI gets 400.
@Suite struct RegistrarThrottleFlowTests {
  static let attacker = Endpoint(transport: .udp, host: "203.0.113.9", port: 5066)

  static func harness() -> FlowHarness {
    let h = FlowHarness()
    h.core.registrar = Registrar(
      configuration: RegistrarConfiguration(
        domains: ["example.com"], authentication: .digest(algorithms: [.md5], nonceLifetimeSeconds: 300)))
    h.core.registrar?.credentials = ["alice": "4711"]
    return h
  }

  static func register(
    branch: Int, cseq: Int, authorization: String? = nil, requestURI: String = "sip:example.com"
  )
    -> String
  {
    """
    REGISTER \(requestURI) SIP/2.0
    Via: SIP/2.0/UDP 203.0.113.9:5066;branch=z9hG4bK-bf-\(branch);rport
    Max-Forwards: 70
    From: <sip:alice@example.com>;tag=bf
    To: <sip:alice@example.com>
    Call-ID: brute-1
    CSeq: \(cseq) REGISTER
    Contact: <sip:alice@203.0.113.9:5066>
    Expires: 300
    \(authorization.map { "Authorization: \($0)\n" } ?? "")Content-Length: 0


    """
  }

  /// The final answers sent since the last call, as (status, nonce of its challenge).
  static func answers(_ h: FlowHarness) -> [(status: Int, nonce: String?)] {
    h.sender.take().filter { $0.message.statusCode >= 200 }.map { sent in
      let nonce = sent.text.range(of: "WWW-Authenticate: Digest").flatMap { header in
        sent.text[header.upperBound...].range(of: "nonce=\"").map { range in
          String(sent.text[range.upperBound...].prefix { $0 != "\"" })
        }
      }
      return (sent.message.statusCode, nonce)
    }
  }

  static func authorization(password: String, nonce: String, uri: String = "sip:example.com") -> String {
    var credentials = DigestCredentials(
      username: "alice", realm: "example.com", nonce: nonce, uri: uri, response: "")
    credentials.response = DigestVerifier.expectedResponse(
      credentials, method: "REGISTER", password: password, hash: .md5)
    return "Digest username=\"alice\", realm=\"example.com\", nonce=\"\(nonce)\", uri=\"\(uri)\", "
      + "response=\"\(credentials.response)\", algorithm=MD5"
  }

  @Test func wrongPasswordsBlockTheSourceAndTheRightOneIsIgnoredUntilTheBlockEnds() throws {
    let h = Self.harness()
    h.deliver(Self.register(branch: 0, cseq: 1), from: Self.attacker)
    var nonce = try #require(Self.answers(h).first?.nonce)
    for attempt in 1...5 {
      h.deliver(
        Self.register(
          branch: attempt, cseq: attempt + 1,
          authorization: Self.authorization(password: "000\(attempt)", nonce: nonce)),
        from: Self.attacker)
      let answer = try #require(Self.answers(h).first)
      #expect(answer.status == 401)
      nonce = try #require(answer.nonce)
    }
    // Blocked: the right password gets no answer, and leaves no transaction.
    let transactions = h.core.transactionCount
    h.deliver(
      Self.register(branch: 6, cseq: 7, authorization: Self.authorization(password: "4711", nonce: nonce)),
      from: Self.attacker)
    #expect(Self.answers(h).isEmpty)
    #expect(h.core.transactionCount == transactions)
    #expect(h.core.registrar?.bindingCount == 0)
    h.deliver(Self.register(branch: 7, cseq: 8), from: Self.attacker)
    #expect(Self.answers(h).isEmpty)
    let counters = try #require(h.core.registrar?.throttle.counters)
    #expect(counters.failures == 5 && counters.sourceBlocks == 1 && counters.droppedBySource == 2)

    // Another address registering another user is not affected.
    h.core.registrar?.credentials["bob"] = "b0b"
    let bob = Self.register(branch: 20, cseq: 1).replacingOccurrences(of: "alice", with: "bob")
    h.deliver(bob, from: Endpoint(transport: .udp, host: "192.0.2.50", port: 5060))
    #expect(Self.answers(h).first?.status == 401)

    // After the block (60 s) the right password registers.
    h.advance(60_000)
    _ = h.sender.take()
    h.deliver(Self.register(branch: 8, cseq: 9), from: Self.attacker)
    nonce = try #require(Self.answers(h).first?.nonce)
    h.deliver(
      Self.register(branch: 9, cseq: 10, authorization: Self.authorization(password: "4711", nonce: nonce)),
      from: Self.attacker)
    #expect(Self.answers(h).first?.status == 200)
    #expect(h.core.registrar?.bindingCount == 1)
  }

  /// RFC 7616 §3.4.6: a `uri` that is not the Request-URI gets 400, with
  /// the right password too (the old code registered it).
  @Test func aDigestForAnotherURIGets400() throws {
    let h = Self.harness()
    h.deliver(Self.register(branch: 0, cseq: 1), from: Self.attacker)
    let nonce = try #require(Self.answers(h).first?.nonce)
    let header = Self.authorization(password: "4711", nonce: nonce, uri: "sip:alice@example.com")
    h.deliver(Self.register(branch: 1, cseq: 2, authorization: header), from: Self.attacker)
    #expect(Self.answers(h).first?.status == 400)
    #expect(h.core.registrar?.bindingCount == 0)
    // The same digest for its own Request-URI registers.
    h.deliver(
      Self.register(branch: 2, cseq: 3, authorization: header, requestURI: "sip:alice@example.com"),
      from: Self.attacker)
    #expect(Self.answers(h).first?.status == 200)
  }
}
