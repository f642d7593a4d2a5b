import Testing

@testable import SIPCore

/// Header fields the switch does not edit leave as they came (issue 16): a
/// comma-separated list on one line stays on one line, however libosip2 keeps
/// it, while the switch still reads its values one by one.
@Suite struct ListHeaderCommasTests {
  static func response(_ headers: String, lineEnd: String = "\r\n") -> String {
    [
      "SIP/2.0 200 OK", "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK-top",
      "Via: SIP/2.0/UDP a.example;branch=z9hG4bK-a, SIP/2.0/UDP b.example;branch=z9hG4bK-b",
      "From: \"Smith, J\" <sip:a@h>;tag=1", "To: <sip:b@h>;tag=2", "Call-ID: list-1", "CSeq: 1 INVITE",
    ].joined(separator: lineEnd) + lineEnd + headers + "Content-Length: 0" + lineEnd + lineEnd
  }

  /// Parses `text`, edits it (so libosip2 writes it anew) and gives the text it serializes.
  static func relayed(_ text: String) throws -> (message: SIPMessage, text: String) {
    let message = try SIPMessage.parse(Array(text.utf8))
    message.removeTopVia()
    return (message, String(decoding: message.serialized(), as: UTF8.self))
  }

  static func lines(_ text: String, named name: String) -> [String] {
    text.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix(name.lowercased() + ":") }
  }

  @Test func aListOnOneLineLeavesOnOneLine() throws {
    let (_, text) = try Self.relayed(
      Self.response(
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nSupported: timer, 100rel\r\n"
          + "Allow-Events: talk,hold\r\nX-List: \"a, b\", c\r\n"))
    #expect(Self.lines(text, named: "Allow") == ["Allow: INVITE, ACK, CANCEL, BYE, OPTIONS"])
    #expect(Self.lines(text, named: "Supported") == ["Supported: timer, 100rel"])
    // libosip2 writes a name it does not know as `Allow-events` (not this fix's concern).
    #expect(Self.lines(text, named: "Allow-Events").map { $0.dropFirst(14) } == ["talk,hold"])
    #expect(Self.lines(text, named: "X-List").map { $0.dropFirst(8) } == ["\"a, b\", c"])
  }

  @Test func theBytesAsReceivedKeepTheirCommas() throws {
    let text = Self.response("Allow: INVITE, ACK\r\nSupported: timer, 100rel\r\n")
    let message = try SIPMessage.parse(Array(text.utf8))
    #expect(message.originalBytes == Array(text.utf8))
    message.withOriginalBytes { #expect(!$0.contains(ListHeaderCommas.byte)) }
  }

  @Test func fieldsSentApartStayApart() throws {
    let (_, text) = try Self.relayed(
      Self.response("Allow: INVITE, ACK\r\nAllow: BYE\r\nSupported: timer\r\n"))
    #expect(Self.lines(text, named: "Allow") == ["Allow: INVITE, ACK", "Allow: BYE"])
    #expect(Self.lines(text, named: "Supported") == ["Supported: timer"])
  }

  @Test func theSwitchStillReadsEachValue() throws {
    let (message, text) = try Self.relayed(
      Self.response("Supported: timer, 100rel,,\r\nRequire: 100rel\r\nProxy-Require: a ,b\r\n"))
    #expect(message.headerValues("supported") == ["timer", "100rel"])
    #expect(message.headerValues("require") == ["100rel"])
    #expect(message.headerValues("proxy-require") == ["a", "b"])
    // Vias are still one element per value, and the From display name keeps its comma.
    #expect(message.viaCount == 2)
    #expect(message.fromDisplayName == "Smith, J")
    let again = try SIPMessage.parse(Array(text.utf8))
    #expect(again.headerValues("supported") == ["timer", "100rel"])
    #expect(again.vias.map(\.host) == ["a.example", "b.example"])
  }

  @Test func aFoldedListStaysOneField() throws {
    let (message, text) = try Self.relayed(Self.response("Supported: timer,\r\n 100rel\r\n"))
    #expect(Self.lines(text, named: "Supported").count == 1)
    #expect(message.headerValues("supported") == ["timer", "100rel"])
  }

  @Test func aMessageWithLineFeedsOnlyKeepsItsBody() throws {
    let sdp = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=a, b\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 6000 RTP/AVP 0\n"
    let head = Self.response("Allow: INVITE, BYE\nContent-Type: application/sdp\n", lineEnd: "\n")
      .replacingOccurrences(of: "Content-Length: 0", with: "Content-Length: \(sdp.utf8.count)")
    let (message, text) = try Self.relayed(head + sdp)
    #expect(Self.lines(text, named: "Allow") == ["Allow: INVITE, BYE"])
    #expect(text.hasSuffix(sdp))
    #expect(message.bodyCount == 1)
  }

  @Test func aHeaderSectionHoldingTheStandInByteIsCutAsBefore() throws {
    var bytes = Array(Self.response("Allow: INVITE, BYE\r\nX-Odd: a\u{FE}\r\n").utf8)
    // Put a raw 0xFE byte in (the string above encoded U+00FE as two bytes).
    let odd = Array("a\u{FE}".utf8)
    let at = bytes.firstRange(of: odd)!.lowerBound
    bytes.replaceSubrange(at..<(at + odd.count), with: [UInt8(ascii: "a"), 0xFE])
    let message = try SIPMessage.parse(bytes)
    message.removeTopVia()
    let text = String(decoding: message.serialized(), as: UTF8.self)
    #expect(Self.lines(text, named: "Allow") == ["Allow: INVITE", "Allow: BYE"])
    #expect(message.serialized().contains(0xFE))
  }

  @Test func theRequestURIKeepsItsCommas() throws {
    let text =
      "MESSAGE sip:a,b@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK-a\r\n"
      + "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: l-2\r\nCSeq: 1 MESSAGE\r\nAllow: A, B\r\n"
      + "Content-Length: 0\r\n\r\n"
    func relay(_ text: String) throws -> (message: SIPMessage, text: String) {
      let message = try SIPMessage.parse(Array(text.utf8))
      message.setMaxForwards(69)
      return (message, String(decoding: message.serialized(), as: UTF8.self))
    }
    let (message, out) = try relay(text)
    // The same start line as a message with no list field to keep whole.
    let (plain, plainOut) = try relay(text.replacingOccurrences(of: "Allow: A, B\r\n", with: ""))
    #expect(out.components(separatedBy: "\r\n")[0] == plainOut.components(separatedBy: "\r\n")[0])
    #expect(message.requestURI?.user == plain.requestURI?.user)
    #expect(!message.serialized().contains(ListHeaderCommas.byte))
    #expect(Self.lines(out, named: "Allow") == ["Allow: A, B"])
  }
}
