import Testing

@testable import SIPCore

struct SIPMessageBodyTests {
  static let sdp = sdpText([
    "v=0", "o=- 1 1 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0",
    "m=audio 49170 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv",
  ])

  static func invite(body: String = sdp, contentType: String? = "application/sdp") -> [UInt8] {
    var text = sdpText([
      "INVITE sip:4930123@192.0.2.1 SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds",
      "Max-Forwards: 70",
      "To: <sip:4930123@192.0.2.1>",
      "From: <sip:alice@192.0.2.10>;tag=1928301774",
      "Call-ID: a84b4c76e66710@192.0.2.10",
      "CSeq: 314159 INVITE",
      "Contact: <sip:alice@192.0.2.10>",
    ])
    if let contentType { text += "Content-Type: \(contentType)\r\n" }
    text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    return Array(text.utf8)
  }

  static func response(_ status: String, body: String = sdp) -> [UInt8] {
    var text = sdpText([
      "SIP/2.0 \(status)",
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds",
      "To: <sip:4930123@192.0.2.1>;tag=a6c85cf",
      "From: <sip:alice@192.0.2.10>;tag=1928301774",
      "Call-ID: a84b4c76e66710@192.0.2.10",
      "CSeq: 314159 INVITE",
    ])
    if !body.isEmpty { text += "Content-Type: application/sdp\r\n" }
    text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    return Array(text.utf8)
  }

  /// The Content-Length values written in serialized bytes, and the bytes after the blank line.
  static func wire(_ bytes: [UInt8]) -> (lengths: [Int], body: [UInt8]) {
    let blank: [UInt8] = [13, 10, 13, 10]
    var end = 0
    while end + 4 <= bytes.count, !bytes[end..<end + 4].elementsEqual(blank) { end += 1 }
    let head = String(decoding: bytes[..<min(end, bytes.count)], as: UTF8.self)
    var lengths: [Int] = []
    for line in head.split(separator: "\r\n") {
      let pieces = line.split(separator: ":", maxSplits: 1)
      guard pieces.count == 2, pieces[0].lowercased() == "content-length" || pieces[0] == "l" else {
        continue
      }
      lengths.append(Int(pieces[1].filter { $0 != " " }) ?? -1)
    }
    return (lengths, end + 4 <= bytes.count ? Array(bytes[(end + 4)...]) : [])
  }

  /// Serializes, checks the wire Content-Length against the body, and parses the result again.
  static func roundTrip(_ message: SIPMessage) throws -> SIPMessage {
    let bytes = message.serialized()
    let (lengths, body) = wire(bytes)
    #expect(lengths == [body.count], "one Content-Length, equal to the body")
    let again = try SIPMessage.parse(bytes)
    #expect(again.contentLength == body.count)
    return again
  }

  @Test func readsTheBodyAsReceived() throws {
    let message = try SIPMessage.parse(Self.invite())
    #expect(message.body == Array(Self.sdp.utf8))
    #expect(message.contentLength == Self.sdp.utf8.count)
    #expect(try SIPMessage.parse(Self.invite(body: "")).body == nil)
  }

  @Test(arguments: [
    "v=0\r\ns=-\r\n",
    String(repeating: "a=x-long:0123456789\r\n", count: 600),
    "v=0\r\n",
    "\u{00e9}t\u{00e9}\r\n",
  ])
  func replaceBodyWritesTheRightContentLength(newBody: String) throws {
    let message = try SIPMessage.parse(Self.invite())
    let ok = message.replaceBody(Array(newBody.utf8), contentType: "application/sdp")
    #expect(ok)
    #expect(message.body == Array(newBody.utf8))
    #expect(message.contentLength == newBody.utf8.count)
    let again = try Self.roundTrip(message)
    #expect(again.body == Array(newBody.utf8))
    #expect(again.contentType == "application/sdp")
    #expect(again.bodyCount == 1)
  }

  @Test func replaceBodyAddsABodyAndContentTypeWhereThereWasNone() throws {
    let message = try SIPMessage.parse(Self.invite(body: "", contentType: nil))
    #expect(message.body == nil)
    #expect(message.replaceBody(Array(Self.sdp.utf8), contentType: "application/sdp"))
    let again = try Self.roundTrip(message)
    #expect(again.body == Array(Self.sdp.utf8))
    #expect(again.contentType == "application/sdp")
  }

  @Test func replaceBodyKeepsBinaryBytes() throws {
    let message = try SIPMessage.parse(Self.invite())
    let bytes: [UInt8] = [0x01, 0x00, 0xFF, 0x0D, 0x0A, 0x0D, 0x0A, 0x7F]
    #expect(message.replaceBody(bytes, contentType: "application/octet-stream"))
    let again = try Self.roundTrip(message)
    #expect(again.body == bytes)
    #expect(again.contentType == "application/octet-stream")
  }

  @Test func replaceBodyTwiceLeavesOneBody() throws {
    let message = try SIPMessage.parse(Self.invite())
    message.replaceBody(Array("v=0\r\n".utf8), contentType: "application/sdp")
    message.replaceBody(Array("v=0\r\ns=second\r\n".utf8), contentType: "application/sdp")
    #expect(message.bodyCount == 1)
    let again = try Self.roundTrip(message)
    #expect(again.body == Array("v=0\r\ns=second\r\n".utf8))
  }

  @Test(arguments: ["", "sdp", "application/sdp\r\nX-Injected: 1", "multipart/mixed;boundary=xyz"])
  func replaceBodyRefusesABadContentType(contentType: String) throws {
    let message = try SIPMessage.parse(Self.invite())
    let before = message.serialized()
    #expect(!message.replaceBody(Array("v=0\r\n".utf8), contentType: contentType))
    #expect(message.serialized() == before)
  }

  @Test func replaceBodyTakesTheLargestBodyAndRefusesMore() throws {
    let message = try SIPMessage.parse(Self.invite())
    let largest = [UInt8](repeating: UInt8(ascii: "x"), count: SIPMessage.maximumBodySize)
    #expect(message.replaceBody(largest, contentType: "application/sdp"))
    let again = try Self.roundTrip(message)
    #expect(again.body == largest)
    #expect(!message.replaceBody(largest + [0x78], contentType: "application/sdp"))
    #expect(message.body == largest)
  }

  @Test func multipartBodyIsReadAsItsFirstPart() throws {
    let parts = sdpText([
      "--unique-boundary-1", "Content-Type: application/sdp", "", "v=0", "s=-",
      "--unique-boundary-1", "Content-Type: application/isup;version=itu-t92+", "", "isup",
      "--unique-boundary-1--",
    ])
    let message = try SIPMessage.parse(
      Self.invite(body: parts, contentType: "multipart/mixed;boundary=unique-boundary-1"))
    #expect(message.bodyCount == 2)
    #expect(message.body == Array("v=0\r\ns=-".utf8))
  }

  @Test func replaceBodyWithNothingRemovesIt() throws {
    let message = try SIPMessage.parse(Self.invite())
    #expect(message.replaceBody([], contentType: "application/sdp"))
    #expect(message.body == nil)
    let again = try Self.roundTrip(message)
    #expect(again.body == nil)
    #expect(again.contentType == nil)
  }

  @Test func removeBodyLeavesContentLengthZero() throws {
    let message = try SIPMessage.parse(Self.invite())
    message.removeBody()
    #expect(message.body == nil)
    #expect(message.bodyCount == 0)
    #expect(message.contentType == nil)
    #expect(message.contentLength == 0)
    let bytes = message.serialized()
    #expect(Self.wire(bytes).lengths == [0])
    #expect(Self.wire(bytes).body.isEmpty)
    let again = try Self.roundTrip(message)
    #expect(again.body == nil)
    #expect(again.contentType == nil)
  }

  @Test func removeBodyOnAMessageWithoutOne() throws {
    let message = try SIPMessage.parse(Self.invite(body: "", contentType: nil))
    message.removeBody()
    #expect(Self.wire(message.serialized()).lengths == [0])
  }

  @Test func editsKeepOtherHeaders() throws {
    let message = try SIPMessage.parse(Self.invite())
    message.replaceBody(Array("v=0\r\n".utf8), contentType: "application/sdp")
    let again = try Self.roundTrip(message)
    #expect(again.callID == "a84b4c76e66710@192.0.2.10")
    #expect(again.maxForwards == 70)
    #expect(again.topVia?.branch == "z9hG4bK776asdhds")
    #expect(again.cseq?.number == 314159)
  }

  @Test func setStatusTurnsA183IntoA180WithoutBody() throws {
    let message = try SIPMessage.parse(Self.response("183 Session Progress"))
    #expect(message.setStatus(180, reason: "Ringing"))
    message.removeBody()
    #expect(message.statusCode == 180)
    #expect(message.reasonPhrase == "Ringing")
    let bytes = message.serialized()
    #expect(bytes.starts(with: Array("SIP/2.0 180 Ringing\r\n".utf8)))
    let again = try Self.roundTrip(message)
    #expect(again.statusCode == 180)
    #expect(again.reasonPhrase == "Ringing")
    #expect(again.body == nil)
  }

  @Test(arguments: [(99, "Low"), (700, "High"), (180, "Ring\r\nX: y")])
  func setStatusRefusesBadValues(code: Int, reason: String) throws {
    let message = try SIPMessage.parse(Self.response("183 Session Progress"))
    #expect(!message.setStatus(code, reason: reason))
    #expect(message.statusCode == 183)
    #expect(message.reasonPhrase == "Session Progress")
  }

  @Test func setStatusLeavesARequestAlone() throws {
    let message = try SIPMessage.parse(Self.invite())
    #expect(!message.setStatus(180, reason: "Ringing"))
    #expect(message.isRequest)
    #expect(message.method == .invite)
  }

  @Test func aRewrittenSDPTravelsThroughTheMessage() throws {
    let message = try SIPMessage.parse(Self.invite())
    let body = try #require(message.body)
    var sdp = try #require(SessionDescription(bytes: body))
    sdp.media[0].formats = ["8"]
    message.replaceBody(sdp.bytes, contentType: "application/sdp")
    let again = try Self.roundTrip(message)
    let relayed = try #require(again.body)
    let parsed = try #require(SessionDescription(bytes: relayed))
    #expect(parsed == sdp)
    #expect(parsed.media[0].mLine == "m=audio 49170 RTP/AVP 8")
  }
}
