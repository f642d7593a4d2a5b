import Foundation
import Testing

@testable import SIPCore

@Suite struct SIPMessageHeadersTests {
  static let invite = """
    INVITE sip:+15551234;tgrp=TG1;trunk-context=example.com@192.0.2.1 SIP/2.0\r
    Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK776asdhds\r
    Max-Forwards: 70\r
    To: <sip:+15551234@192.0.2.1>\r
    From: "Alice \\"A\\"" <sip:+442079460000@10.1.2.3:5060;user=phone>;tag=1928301774;x-info=1\r
    Call-ID: a84b4c76e66710@10.1.2.3\r
    CSeq: 314159 INVITE\r
    Contact: <sip:+442079460000@10.1.2.3:5060;tgrp=TG2>\r
    P-Asserted-Identity: "Alice" <sip:+442079460001@10.1.2.3>\r
    P-Asserted-Identity: <tel:+442079460001>\r
    Remote-Party-ID: <sip:+442079460002@10.1.2.3>;party=calling;privacy=off\r
    Privacy: id; critical\r
    X-Test-Call: 1\r
    Content-Length: 0\r
    \r

    """

  private func parse(_ text: String = invite) throws -> SIPMessage {
    try SIPMessage.parse(Array(text.utf8))
  }

  /// Serializes and parses again, so every edit is checked on the wire.
  private func reparse(_ message: SIPMessage) throws -> SIPMessage {
    try SIPMessage.parse(message.serialized())
  }

  private func wire(_ message: SIPMessage) -> String {
    String(decoding: message.serialized(), as: UTF8.self)
  }

  /// The scheme read in place agrees with the built Request-URI's, in any case.
  @Test(arguments: [
    ("sips:bob@example.com", true), ("SIPS:bob@example.com", true), ("sip:bob@example.com", false),
    ("sip:sips%3Auser%40example.com@example.net", false), ("tel:+15551234", false),
  ])
  func requestURIIsSIPSReadsTheSchemeInPlace(uri: String, expected: Bool) throws {
    let message = try parse(Self.invite.replacingFirstLine(with: "INVITE \(uri) SIP/2.0\r"))
    #expect(message.requestURIIsSIPS == expected)
    #expect((message.requestURI?.scheme.lowercased() == "sips") == expected)
  }

  /// The users read in place are the built URIs' users, with or without one.
  @Test(arguments: [
    ("sip:+15551234@192.0.2.1", "<sip:alice@10.1.2.3>", "<sip:+15551234@192.0.2.1>"),
    ("sip:192.0.2.1", "<sip:10.1.2.3>", "<sip:192.0.2.1>"),
    ("sip:%2B1%20555@192.0.2.1;user=phone", "\"A\" <sips:a%40b@example.com>", "sip:bob@example.com"),
    ("tel:+15551234", "<tel:+442079460000>", "<tel:+15551234>"),
  ])
  func urisUsersAreReadInPlace(requestURI: String, from: String, to: String) throws {
    let text = Self.invite.replacingFirstLine(with: "INVITE \(requestURI) SIP/2.0\r")
      .replacingOccurrences(
        of: "From: \"Alice \\\"A\\\"\" <sip:+442079460000@10.1.2.3:5060;user=phone>", with: "From: \(from)"
      )
      .replacingOccurrences(of: "To: <sip:+15551234@192.0.2.1>", with: "To: \(to)")
    let message = try parse(text)
    #expect(message.requestURIUser == message.requestURI?.user)
    #expect(message.fromURIUser == message.fromURI?.user)
    #expect(message.toURIUser == message.toURI?.user)
    #expect(message.fromURIUser != "+442079460000")  // the From was replaced
  }

  /// The scheme and `?headers` read in place are the built Request-URI's.
  @Test(arguments: [
    "sip:bob@example.com", "SIPS:bob@example.com", "tel:+15551234", "sip:bob@example.com?Subject=x",
    "sip:bob@example.com;transport=tcp?a=b&c=d", "urn:service:sos",
  ])
  func requestURISchemeAndHeadersAreReadInPlace(uri: String) throws {
    let message = try parse(Self.invite.replacingFirstLine(with: "INVITE \(uri) SIP/2.0\r"))
    let inPlace = try #require(message.requestURISchemeAndHeaders)
    let built = try #require(message.requestURI)
    #expect(inPlace.scheme == built.scheme)
    #expect(inPlace.hasHeaders == built.hasHeaders)
    #expect(inPlace.hasHeaders == uri.contains("?"))
  }

  @Test(arguments: ["P-Asserted-Identity", "p-asserted-identity", "P-ASSERTED-IDENTITY"])
  func removeHeadersRemovesEveryInstance(name: String) throws {
    let message = try parse()
    #expect(message.headerValues("P-Asserted-Identity").count == 2)
    message.removeHeaders(named: name)
    let again = try reparse(message)
    #expect(again.headerValues("P-Asserted-Identity").isEmpty)
    #expect(!wire(again).lowercased().contains("p-asserted-identity"))
    // Other headers stay.
    #expect(again.headerValues("Remote-Party-ID").count == 1)
    #expect(again.headerValues("Privacy") == ["id; critical"])
    #expect(again.maxForwards == 70)
  }

  @Test func removingAnAbsentHeaderChangesNothing() throws {
    let message = try parse()
    let before = message.serialized()
    message.removeHeaders(named: "Session-Expires")
    #expect(message.serialized() == before)
  }

  @Test func setHeaderReplacesAllWithOne() throws {
    let message = try parse()
    message.setHeader("P-Asserted-Identity", "<sip:+15550000000@switch.example>")
    message.setHeader("Privacy", "none")
    message.setHeader("Session-Expires", "1800;refresher=uac")
    let again = try reparse(message)
    #expect(again.headerValues("P-Asserted-Identity") == ["<sip:+15550000000@switch.example>"])
    #expect(again.headerValues("privacy") == ["none"])
    #expect(again.headerValues("Session-Expires") == ["1800;refresher=uac"])
  }

  @Test func privacyTokens() throws {
    #expect(try parse().privacyTokens == ["id", "critical"])
    let message = try parse()
    message.removeHeaders(named: "Privacy")
    #expect(message.privacyTokens.isEmpty)
    message.addHeader("Privacy", "User;Header")
    message.addHeader("Privacy", "session")
    #expect(try reparse(message).privacyTokens == ["user", "header", "session"])
  }

  @Test func readsFromDisplayNameAndURIs() throws {
    let message = try parse()
    #expect(message.fromDisplayName == #"Alice "A""#)
    #expect(message.fromURIText == "sip:+442079460000@10.1.2.3:5060;user=phone")
    #expect(message.contactURIText == "sip:+442079460000@10.1.2.3:5060;tgrp=TG2")
  }

  @Test func absentDisplayNameAndContact() throws {
    let text = Self.invite.replacingFirst(#""Alice \"A\"" <sip:"#, with: "<sip:")
      .replacingFirst("Contact: <sip:+442079460000@10.1.2.3:5060;tgrp=TG2>\r\n", with: "")
    let message = try parse(text)
    #expect(message.fromDisplayName == nil)
    #expect(message.contactURIText == nil)
  }

  @Test func setFromKeepsTagAndParameters() throws {
    let message = try parse()
    message.setFrom(user: "+15550001111", host: "switch.example", displayName: #"Bob "the" \Builder"#)
    let again = try reparse(message)
    #expect(again.fromURI?.user == "+15550001111")
    #expect(again.fromURI?.host == "switch.example")
    #expect(again.fromURI?.port == 5060)
    #expect(again.fromURI?.parameter("user")?.value == "phone")
    #expect(again.fromDisplayName == #"Bob "the" \Builder"#)
    #expect(again.fromTag == "1928301774")
    #expect(wire(again).contains(";x-info=1"))
  }

  @Test func setFromNilLeavesPartsAndEmptyRemovesThem() throws {
    let message = try parse()
    message.setFrom(user: "+15550001111", host: nil, displayName: nil)
    var again = try reparse(message)
    #expect(again.fromURI?.user == "+15550001111")
    #expect(again.fromURI?.host == "10.1.2.3")
    #expect(again.fromDisplayName == #"Alice "A""#)
    message.setFrom(user: nil, host: nil, displayName: "")
    again = try reparse(message)
    #expect(again.fromDisplayName == nil)
    #expect(again.fromURI?.user == "+15550001111")
    message.setFrom(user: "", host: nil, displayName: nil)
    again = try reparse(message)
    #expect(again.fromURI?.user == nil)
    #expect(again.fromURI?.host == "10.1.2.3")
  }

  @Test func setFromOnATelURI() throws {
    let text = Self.invite.replacingFirst(
      "<sip:+442079460000@10.1.2.3:5060;user=phone>", with: "<tel:+442079460000;phone-context=example.com>")
    let message = try parse(text)
    #expect(message.fromURIText == "tel:+442079460000;phone-context=example.com")
    message.setFrom(user: "+15550001111", host: "ignored.example", displayName: nil)
    let again = try reparse(message)
    #expect(again.fromURIText == "tel:+15550001111;phone-context=example.com")
    #expect(again.fromTag == "1928301774")
  }

  @Test func setFromEscapesOnTheWire() throws {
    let message = try parse()
    message.setFrom(user: "*67#15550001111", host: nil, displayName: nil)
    #expect(message.fromURIText == "sip:*67%2315550001111@10.1.2.3:5060;user=phone")
    let again = try reparse(message)
    #expect(again.fromURI?.user == "*67#15550001111")
    // A second pass does not escape twice.
    again.setFrom(user: nil, host: nil, displayName: "x")
    #expect(try reparse(again).fromURIText == "sip:*67%2315550001111@10.1.2.3:5060;user=phone")
  }

  @Test func anonymizeFrom() throws {
    let message = try parse()
    message.anonymizeFrom()
    let again = try reparse(message)
    #expect(again.fromDisplayName == "Anonymous")
    #expect(again.fromURIText == "sip:anonymous@anonymous.invalid")
    #expect(again.fromTag == "1928301774")
    #expect(wire(again).contains(#"From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=1928301774"#))
  }

  @Test(
    arguments: [
      (#""Alice" <sip:+442079460001@10.1.2.3>"#, "+442079460001"),
      ("<sip:+442079460001@10.1.2.3>;party=calling;privacy=off", "+442079460001"),
      ("<sips:alice:secret@example.com:5061;transport=tls>", "alice"),
      ("<tel:+442079460001>", "+442079460001"),
      ("<TEL:+44-20-7946-0001;phone-context=x>", "+44-20-7946-0001"),
      ("tel:+442079460001;x=y", "+442079460001"),
      ("sip:+442079460001@10.1.2.3;party=calling", "+442079460001"),
      ("<sip:+15551234;npdi;rn=+15550000@h>", "+15551234;npdi;rn=+15550000"),
      (#""a <b>, \"c\"" <sip:+1555@h>"#, "+1555"),
      (#"Alice <sip:+1555@h>, <tel:+1666>"#, "+1555"),
      ("<sip:10.1.2.3>", nil),
      ("sip:10.1.2.3", nil),
      ("<mailto:a@b>", nil),
      ("garbage", nil),
      ("", nil),
      ("<tel:>", nil),
    ] as [(String, String?)])
  func userOfURIHeader(value: String, user: String?) {
    #expect(SIPMessage.userOfURIHeader(value) == user)
  }

  @Test func readsPAIAndRPIDUsersFromAParsedMessage() throws {
    let message = try parse()
    #expect(
      message.headerValues("P-Asserted-Identity").compactMap(SIPMessage.userOfURIHeader) == [
        "+442079460001", "+442079460001",
      ])
    #expect(
      message.headerValues("Remote-Party-ID").first.flatMap(SIPMessage.userOfURIHeader) == "+442079460002")
  }
}

extension String {
  fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
    guard let range = firstRange(of: target) else { return self }
    var copy = self
    copy.replaceSubrange(range, with: replacement)
    return copy
  }
}

extension String {
  fileprivate func replacingFirstLine(with line: String) -> String {
    guard let end = firstIndex(of: "\n") else { return line }
    return line + self[end...]
  }
}
