import Testing

@testable import SIPCore

/// libosip2's lists are walked with their iterator (one pass) rather than by
/// index; these pin down that the walks see every element, in order, and that
/// removing while walking leaves a list libosip2 can still serialize.
@Suite struct SIPMessageListTests {
  static func message(extra: String) throws -> SIPMessage {
    let text =
      "INVITE sip:1@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK-a\r\n"
      + "Via: SIP/2.0/TCP b.example:5070;branch=z9hG4bK-b;received=192.0.2.2, SIP/2.0/UDP c.example;rport=5\r\n"
      + "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: lists-1\r\nCSeq: 1 INVITE\r\n" + extra
      + "Content-Length: 0\r\n\r\n"
    return try SIPMessage.parse(Array(text.utf8))
  }

  @Test func viasAreEveryViaTopFirstAsViaAtReadsThem() throws {
    let message = try Self.message(extra: "")
    let vias = message.vias
    #expect(vias.map(\.host) == ["a.example", "b.example", "c.example"])
    #expect(vias.map(\.transport) == ["UDP", "TCP", "UDP"])
    #expect(vias[1].port == 5070 && vias[1].received == "192.0.2.2")
    #expect(vias[2].hasRport && vias[2].rportValue == 5)
    #expect(vias == (0..<message.viaCount).compactMap { message.via(at: $0) })
  }

  @Test func headerValuesReadEveryInstanceInOrderWhateverTheCase() throws {
    let extra = (0..<200).map { "\($0 % 2 == 0 ? "X-N" : "x-n"): \($0)\r\nX-Other: o\r\n" }.joined()
    let message = try Self.message(extra: extra)
    #expect(message.headerValues("X-N") == (0..<200).map(String.init))
    #expect(message.headerValues("x-missing").isEmpty)
  }

  @Test func removingConsecutiveFirstAndLastElementsKeepsTheRest() throws {
    let message = try Self.message(extra: "X-A: 1\r\nX-A: 2\r\nX-B: 3\r\nX-A: 4\r\nX-B: 5\r\nX-A: 6\r\n")
    message.removeHeaders(named: "x-a")
    #expect(message.headerValues("X-A").isEmpty)
    #expect(message.headerValues("X-B") == ["3", "5"])
    message.addHeader("X-A", "7")
    let again = try SIPMessage.parse(message.serialized())
    #expect(again.headerValues("X-B") == ["3", "5"])
    #expect(again.headerValues("X-A") == ["7"])
    again.removeHeaders(named: "X-B")
    again.removeHeaders(named: "X-A")
    #expect(try SIPMessage.parse(again.serialized()).headerValues("X-B").isEmpty)
  }

  @Test func maxForwardsIsFoundAmongManyGenericHeaders() throws {
    let message = try Self.message(extra: SIPMessageLimitsTests.fields(200) + "max-forwards: 12\r\n")
    #expect(message.maxForwards == 12)
    message.setMaxForwards(11)
    #expect(try SIPMessage.parse(message.serialized()).maxForwards == 11)
  }
}
