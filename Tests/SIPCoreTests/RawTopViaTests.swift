import Testing

@testable import SIPCore

/// The raw top-Via reader of the stateless 503 (docs/overload.md): it reads
/// plain Vias as libosip2 does, and declines the rest.
@Suite struct RawTopViaTests {
  static func read(_ via: String) -> RawTopVia? {
    Array(via.utf8).withUnsafeBytes { RawTopVia($0[...]) }
  }

  static func request(via: String) -> String {
    [
      "INVITE sip:1@127.0.0.1 SIP/2.0", "Via: \(via)", "From: <sip:a@127.0.0.1>;tag=1",
      "To: <sip:1@127.0.0.1>", "Call-ID: c1", "CSeq: 1 INVITE", "Max-Forwards: 70", "Content-Length: 0", "",
      "",
    ].joined(separator: "\r\n")
  }

  /// Each Via read both ways gives the same transaction key fields.
  @Test(arguments: [
    "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1",
    "SIP/2.0/UDP Host.Example.COM;branch=z9hG4bKabc;rport",
    "sip/2.0/tcp 10.0.0.1:05060;rport=1234;branch=z9hG4bK.x~y",
    "SIP/2.0/UDP [2001:DB8::1]:5062;received=[2001:db8::9];branch=z9hG4bK-v6",
    "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-a,SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-b",
    "SIP/2.0/TLS h.example:5061;ttl=3;maddr=192.0.2.7;branch=z9hG4bK%41",
    "SIP/2.0/UDP 10.0.0.2:5070;RPORT;BRANCH=z9hG4bK-up",
    "SIP/2.0/UDP 10.0.0.2:0;branch=z9hG4bK-1",
  ])
  func readsAsTheParserDoes(via: String) throws {
    let raw = try #require(Self.read(via))
    let parsed = try #require(try SIPMessage.parse(Array(Self.request(via: via).utf8)).topVia)
    #expect(raw.sentBy == parsed.sentBy)
    #expect(raw.branch == parsed.branch)
    #expect(raw.hasRport == parsed.hasRport)
    #expect(raw.port == parsed.port)
  }

  @Test func readsTheParts() throws {
    let via = try #require(Self.read("SIP/2.0/UDP Host.Example:5090;rport;branch=z9hG4bK-7"))
    #expect(via.host == "Host.Example")
    #expect(via.port == 5090)
    #expect(via.hasRport)
    #expect(via.branch == "z9hG4bK-7")
    #expect(via.sentBy == "host.example:5090")
    #expect(Self.read("SIP/2.0/UDP [::1];branch=b")?.sentBy == "[::1]:5060")
  }

  /// Forms the parser takes but this reader leaves to it.
  @Test(arguments: [
    "SIP / 2.0 / UDP 127.0.0.1:5090;branch=z9hG4bK-1",
    "SIP/2.0/UDP 127.0.0.1:5090 ;branch=z9hG4bK-1",
    "SIP/2.0/UDP 127.0.0.1:5090; branch=z9hG4bK-1",
    "SIP/2.0/UDP 127.0.0.1:5090;branch=\"z9hG4bK-1\"",
    "SIP/2.0/UDP 127.0.0.1:99999;branch=z9hG4bK-1",
    "SIP/2.0/UDP 127.0.0.1:;branch=z9hG4bK-1",
    "SIP/2.0/UDP 127.0.0.1:5090;branch=",
    "SIP/2.0/UDP [::1:5090;branch=z9hG4bK-1",
    "SIP/2.0/UDP",
    "SIP/2.0/UDP ;branch=z9hG4bK-1",
    "SIP/3.0/UDP 127.0.0.1;branch=z9hG4bK-1",
    "SIP/2.0/UDP 10.0.0.2:5070;rport=;branch=z9hG4bK-1",
    // Two branches: the parser keeps the first; this reader leaves it to the parser.
    "SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bK-1;branch=z9hG4bK-2",
  ])
  func declinesWhatIsNotPlain(via: String) {
    #expect(Self.read(via) == nil)
  }
}

/// The To tag of a stateless 503 and the recognition of its ACK.
@Suite struct StatelessReplyTagTests {
  static func ack(branch: String, callID: String, to: String) -> [UInt8] {
    Array(
      [
        "ACK sip:1@127.0.0.1 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=\(branch)",
        "From: <sip:a@127.0.0.1>;tag=1", "To: \(to)", "Call-ID: \(callID)", "CSeq: 1 ACK",
        "Content-Length: 0", "",
        "",
      ].joined(separator: "\r\n").utf8)
  }

  static func isAck(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { StatelessReplyTag.isAckOfStatelessReply($0) }
  }

  @Test func theTagIsFixedByBranchAndCallID() {
    let tag = StatelessReplyTag.make(branch: "z9hG4bK-1".utf8, callID: "c1".utf8)
    #expect(tag.hasPrefix("sl-"))
    #expect(tag.utf8.count == 19)
    #expect(tag == StatelessReplyTag.make(branch: "z9hG4bK-1".utf8, callID: "c1".utf8))
    #expect(tag != StatelessReplyTag.make(branch: "z9hG4bK-2".utf8, callID: "c1".utf8))
    #expect(tag != StatelessReplyTag.make(branch: "z9hG4bK-1".utf8, callID: "c2".utf8))
  }

  @Test func aToThatMentionsATagInAnyFormMayCarryOne() {
    func may(_ to: String) -> Bool {
      Array(to.utf8).withUnsafeBytes { StatelessReplyTag.mayCarryTag($0[...]) }
    }
    #expect(may("<sip:1@h>;tag=a"))
    #expect(may("<sip:1@h> ; TAG = a"))
    #expect(may("sip:1@h;Tag=a"))
    #expect(!may("<sip:1@h>"))
    #expect(!may("\"ta\" <sip:g@h>"))
  }

  @Test func theAckOfTheReplyIsRecognisedAndNothingElse() {
    let tag = StatelessReplyTag.make(branch: "z9hG4bK-1".utf8, callID: "c1".utf8)
    #expect(Self.isAck(Self.ack(branch: "z9hG4bK-1", callID: "c1", to: "<sip:1@127.0.0.1>;tag=\(tag)")))
    // The UAC moved the parameters around.
    #expect(Self.isAck(Self.ack(branch: "z9hG4bK-1", callID: "c1", to: "<sip:1@127.0.0.1>;tag=\(tag);x=1")))
    // Another branch, another Call-ID, a tag that only looks like ours, another method.
    #expect(!Self.isAck(Self.ack(branch: "z9hG4bK-2", callID: "c1", to: "<sip:1@127.0.0.1>;tag=\(tag)")))
    #expect(!Self.isAck(Self.ack(branch: "z9hG4bK-1", callID: "c2", to: "<sip:1@127.0.0.1>;tag=\(tag)")))
    #expect(
      !Self.isAck(
        Self.ack(branch: "z9hG4bK-1", callID: "c1", to: "<sip:1@127.0.0.1>;tag=sl-0000000000000000")))
    var bye = Self.ack(branch: "z9hG4bK-1", callID: "c1", to: "<sip:1@127.0.0.1>;tag=\(tag)")
    bye.replaceSubrange(0..<3, with: Array("BYE".utf8))
    #expect(!Self.isAck(bye))
  }
}
