import Digest
import Foundation
import SIPCore
import Testing

@testable import Proxy

/// The registrar in the proxy core: the RFC 4475 REGISTER messages get the
/// answers their manifest rows ask for, and INVITEs for a registered address
/// of record go to its contacts.
@Suite struct RegistrarFlowTests {
  typealias H = FlowHarness

  static func torture(_ name: String) -> [UInt8] {
    let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    let path = (components.dropLast(2).map(String.init) + ["SIPCoreTests", "Fixtures", name]).joined(
      separator: "/")
    return Array(FileManager.default.contents(atPath: path) ?? Data())
  }

  static func harness() -> FlowHarness {
    let h = FlowHarness()
    h.core.registrar = Registrar(configuration: RegistrarConfiguration(domains: ["example.com"]))
    return h
  }

  /// The final response the core sent for the message just delivered.
  static func answer(_ h: FlowHarness) throws -> SIPMessage {
    try #require(h.sender.take().map(\.message).last { $0.statusCode >= 200 })
  }

  /// The Contact values of the last final response as sent (libosip2 would unescape them).
  static func contacts(_ h: FlowHarness) throws -> [String] {
    let sent = try #require(h.sender.sent.last { $0.message.statusCode >= 200 })
    return sent.text.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix("contact:") }
      .map { String($0.dropFirst("contact:".count)).trimmingCharacters(in: .whitespaces) }
  }

  @Test(arguments: [
    ("cparam01.dat", ["<sip:+19725552222@gw1.example.net>;expires=3600"]),
    ("cparam02.dat", ["<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600"]),
    ("regescrt.dat", ["<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600"]),
    ("dblreq.dat", ["<sip:j.user@host.example.com>;expires=3600"]),
  ])
  func registerSucceeds(name: String, expected: [String]) throws {
    let h = Self.harness()
    h.deliverBytes(Self.torture(name))
    let contacts = try Self.contacts(h)
    let answer = try Self.answer(h)
    #expect(answer.statusCode == 200)
    #expect(contacts == expected)
    #expect(answer.headerValues("date").count == 1)
    #expect(h.core.counters.registrations == 1)
  }

  @Test func escapedNULsMakeTwoDistinctBindings() throws {
    let h = Self.harness()
    h.deliverBytes(Self.torture("escnull.dat"))
    let contacts = try Self.contacts(h)
    let answer = try Self.answer(h)
    #expect(answer.statusCode == 200)
    #expect(
      Set(contacts) == [
        "<sip:%00@host5.example.com>;expires=3600", "<sip:%00%00@host5.example.com>;expires=3600",
      ])
    #expect(h.core.registrar?.bindingCount == 2)
  }

  @Test func aNonSIPAddressOfRecordGets400() throws {
    let h = Self.harness()
    h.deliverBytes(Self.torture("unksm2.dat"))
    let answer = try Self.answer(h)
    #expect(answer.statusCode == 400)
    #expect(h.core.registrar?.bindingCount == 0)
  }

  @Test func anUnknownAuthorizationSchemeIsIgnored() throws {
    let h = Self.harness()
    h.deliverBytes(Self.torture("regaut01.dat"))
    #expect(try Self.answer(h).statusCode == 200)
  }

  /// RFC 4475 §3.3.17: a registrar that cares about authentication answers
  /// an unknown scheme with a 401 and a challenge it understands; the
  /// Authorization header is read from the wire.
  @Test func withDigestAnUnknownSchemeGets401AndTheRightAnswerRegisters() throws {
    let h = FlowHarness()
    h.core.registrar = Registrar(
      configuration: RegistrarConfiguration(
        domains: ["example.com"], authentication: .digest(algorithms: [.md5], nonceLifetimeSeconds: 300)))
    h.core.registrar?.credentials = ["alice": "s3cret"]
    h.deliverBytes(Self.torture("regaut01.dat"))
    let sent = try #require(h.sender.sent.last { $0.message.statusCode >= 200 })
    #expect(sent.message.statusCode == 401)
    let header = try #require(
      sent.text.components(separatedBy: "\r\n").first { $0.hasPrefix("WWW-Authenticate: ") }?.dropFirst(18))
    #expect(header.hasPrefix("Digest realm=\"example.com\", nonce=\""))
    #expect(h.core.counters.registrationsRefused == 1)

    let nonce = String(header[header.range(of: "nonce=\"")!.upperBound...].prefix { $0 != "\"" })
    var credentials = DigestCredentials(
      username: "alice", realm: "example.com", nonce: nonce, uri: "sip:example.com", response: "")
    credentials.response = DigestVerifier.expectedResponse(
      credentials, method: "REGISTER", password: "s3cret", hash: .md5)
    // Folded over two lines, as phones do.
    h.deliver(
      Self.register.replacingOccurrences(
        of: "Content-Length: 0",
        with: "Authorization: Digest username=\"alice\",\n realm=\"example.com\", nonce=\"\(nonce)\", "
          + "uri=\"sip:example.com\", response=\"\(credentials.response)\"\nContent-Length: 0"))
    let registered = try #require(h.sender.sent.last { $0.message.statusCode >= 200 })
    #expect(registered.message.statusCode == 200, "\(registered.text)")
    #expect(h.core.registrar?.bindingCount == 1)
  }

  @Test func withoutARegistrarRegisterIsNotServed() throws {
    let h = FlowHarness()
    h.deliverBytes(Self.torture("cparam01.dat"))
    #expect(try Self.answer(h).statusCode == 404)
  }

  static let register = """
    REGISTER sip:example.com SIP/2.0
    Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-reg-1;rport
    Max-Forwards: 70
    From: <sip:alice@example.com>;tag=r1
    To: <sip:alice@example.com>
    Call-ID: reg-1
    CSeq: 1 REGISTER
    Contact: <sip:alice@10.0.0.5:5062;ob>;expires=300
    Content-Length: 0


    """

  static func invite(to user: String) -> String {
    H.invite().replacingOccurrences(
      of: "INVITE sip:service@127.0.0.1:5070 SIP/2.0", with: "INVITE sip:\(user)@example.com SIP/2.0")
  }

  @Test func callsForARegisteredUserGoToWhereItRegisteredFrom() throws {
    let h = Self.harness()
    let phone = Endpoint(transport: .udp, host: "192.0.2.77", port: 40_123)  // its NAT address
    h.deliver(Self.register, from: phone)
    #expect(try Self.answer(h).statusCode == 200)
    h.deliver(Self.invite(to: "alice"))
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == phone)
    #expect(forwarded.message.requestURIText == "sip:alice@10.0.0.5:5062;ob")
  }

  @Test func callsForAnUnregisteredUserGet480AndExpiredBindingsAreGone() throws {
    let h = Self.harness()
    h.deliver(Self.invite(to: "bob"))
    #expect(try Self.answer(h).statusCode == 480)
    h.deliver(Self.register, from: H.uac)
    _ = h.sender.take()
    h.advance(300_000)
    #expect(h.core.registrar?.bindingCount == 0)
    h.deliver(Self.invite(to: "alice").replacingOccurrences(of: "call-1", with: "call-2"))
    #expect(try Self.answer(h).statusCode == 480)
  }
}
