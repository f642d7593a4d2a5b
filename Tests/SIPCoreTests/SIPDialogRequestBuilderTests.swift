import Testing

@testable import SIPCore

@Suite struct SIPDialogRequestBuilderTests {
  static let routes = ["<sip:10.0.0.1;lr>", "<sip:carrier.example.net:5080;lr;transport=tcp>"]

  static func bye(routeSet: [String] = routes, extraHeaders: [(String, String)] = []) -> [UInt8] {
    SIPDialogRequestBuilder.request(
      method: "BYE", requestURI: "sip:bob@192.0.2.20:5070;transport=udp", routeSet: routeSet,
      via: "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-dl-1;rport", from: "<sip:+4930123@example.com>;tag=a1",
      to: "\"Bob\" <sip:+4940456@example.net>;tag=b2", callID: "call-1@10.0.0.5", cseq: 102,
      extraHeaders: extraHeaders)
  }

  @Test func parsesBackToTheDialog() throws {
    let message = try SIPMessage.parse(
      Self.bye(extraHeaders: [("Reason", #"Q.850;cause=16;text="Normal call clearing""#)]))
    #expect(message.isRequest)
    #expect(message.method == .bye)
    #expect(message.requestURIText == "sip:bob@192.0.2.20:5070;transport=udp")
    #expect(message.callID == "call-1@10.0.0.5")
    #expect(message.cseq?.number == 102)
    #expect(message.cseq?.method == "BYE")
    #expect(message.fromTag == "a1")
    #expect(message.toTag == "b2")
    #expect(message.maxForwards == 70)
    #expect(message.viaCount == 1)
    #expect(message.topVia?.branch == "z9hG4bK-dl-1")
    #expect(message.headerValues("Reason") == [#"Q.850;cause=16;text="Normal call clearing""#])
    #expect(message.contentLength == 0)
    // Route set in order.
    #expect(message.routeCount == 2)
    #expect(message.topRoute?.host == "10.0.0.1")
    #expect(message.topRoute?.isLooseRouter == true)
    message.removeTopRoute()
    #expect(message.topRoute?.host == "carrier.example.net")
    #expect(message.topRoute?.port == 5080)
  }

  @Test func wireForm() {
    let text = String(decoding: Self.bye(routeSet: []), as: UTF8.self)
    #expect(text.hasPrefix("BYE sip:bob@192.0.2.20:5070;transport=udp SIP/2.0\r\nVia: "))
    #expect(text.hasSuffix("\r\nCSeq: 102 BYE\r\nContent-Length: 0\r\n\r\n"))
    #expect(!text.contains("Route:"))
    // Every line ends in CRLF.
    let bytes = Array(text.utf8)
    for (index, byte) in bytes.enumerated() where byte == 10 {
      #expect(index > 0 && bytes[index - 1] == 13)
    }
  }

  @Test func noRouteSetAndOtherMethod() throws {
    let bytes = SIPDialogRequestBuilder.request(
      method: "UPDATE", requestURI: "sip:10.1.1.1", routeSet: [],
      via: "SIP/2.0/TCP 10.0.0.5;branch=z9hG4bK-2",
      from: "<sip:a@x>;tag=1", to: "<sip:b@y>;tag=2", callID: "c2", cseq: 7, maxForwards: 10)
    let message = try SIPMessage.parse(bytes)
    #expect(message.method == .update)
    #expect(message.routeCount == 0)
    #expect(message.cseq?.number == 7 && message.cseq?.method == "UPDATE")
    #expect(message.maxForwards == 10)
  }

  @Test func lineBreaksInValuesCannotAddHeaders() throws {
    let message = try SIPMessage.parse(Self.bye(extraHeaders: [("Reason", "SIP;cause=200\r\nX-Injected: 1")]))
    #expect(message.headerValues("X-Injected").isEmpty)
    #expect(message.headerValues("Reason").count == 1)
  }
}
