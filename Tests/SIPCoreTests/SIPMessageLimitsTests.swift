import Testing

@testable import SIPCore

/// The caps of `SIPMessageLimits` (docs/limits.md), applied by
/// `InboundDecoder` before libosip2 parses: each one answered with its 400
/// (a response over a cap is dropped), and a message exactly at each cap
/// still passed on.
@Suite struct SIPMessageLimitsTests {
  static let source = Endpoint(transport: .udp, host: "192.0.2.99", port: 5099)
  static let limits = SIPMessageLimits()

  /// An INVITE with 8 header fields and 3 parameters (`branch`, `rport`,
  /// `tag`) besides `extra` (CRLF-terminated lines before Content-Length).
  static func invite(
    requestURI: String = "sip:15551234@192.0.2.1",
    via: String = "SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-1;rport",
    extra: String = "", contentType: String? = nil, body: String = ""
  ) -> [UInt8] {
    var text = "INVITE \(requestURI) SIP/2.0\r\nVia: \(via)\r\nMax-Forwards: 70\r\n"
    text += "From: <sip:alice@192.0.2.7>;tag=a1\r\nTo: <sip:15551234@192.0.2.1>\r\n"
    text += "Call-ID: limits-1@192.0.2.7\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.7:5062>\r\n" + extra
    // Content-Type is one more field where there is one.
    if let contentType { text += "Content-Type: \(contentType)\r\n" }
    text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    return Array(text.utf8)
  }

  static func decode(_ bytes: [UInt8], isDatagram: Bool = true) -> InboundDecision {
    bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: isDatagram, source: source) }
  }

  /// `count` header lines `X-Hn: v`.
  static func fields(_ count: Int) -> String {
    (0..<count).map { "X-H\($0): v\r\n" }.joined()
  }

  static func expectRequest(_ decision: InboundDecision, sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .request = decision else {
      Issue.record("expected the request to be passed on, got \(decision)", sourceLocation: sourceLocation)
      return
    }
  }

  static func expectRefusal(
    _ decision: InboundDecision, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard case .reject(let status, let phrase, let response) = decision else {
      Issue.record("expected 400 \(reason), got \(decision)", sourceLocation: sourceLocation)
      return
    }
    #expect(status == 400, sourceLocation: sourceLocation)
    #expect(phrase == reason, sourceLocation: sourceLocation)
    // Built from the raw bytes, sent back along the top Via.
    let text = String(decoding: response, as: UTF8.self)
    #expect(text.hasPrefix("SIP/2.0 400 \(reason)\r\n"), sourceLocation: sourceLocation)
    #expect(text.contains("received=192.0.2.99"), sourceLocation: sourceLocation)
    #expect(text.contains("Call-ID: limits-1@192.0.2.7\r\n"), sourceLocation: sourceLocation)
  }

  // MARK: Header fields per message

  @Test func headerFieldsAtTheCapArePassedOn() {
    Self.expectRequest(Self.decode(Self.invite(extra: Self.fields(Self.limits.headerFields - 8))))
  }

  @Test func oneHeaderFieldOverTheCapGets400() {
    Self.expectRefusal(
      Self.decode(Self.invite(extra: Self.fields(Self.limits.headerFields - 7))), "Too Many Headers")
  }

  @Test func commaSeparatedValuesCountAsHeaderFields() {
    // 8 + 4 × 62 = 256 fields in 12 lines; one more value goes over.
    let line = "Allow: " + Array(repeating: "INVITE", count: 62).joined(separator: ", ") + "\r\n"
    Self.expectRequest(Self.decode(Self.invite(extra: String(repeating: line, count: 4))))
    Self.expectRefusal(
      Self.decode(Self.invite(extra: String(repeating: line, count: 4) + "Supported: timer\r\n")),
      "Too Many Headers")
  }

  @Test func foldedContinuationLinesAreNotFieldsOfTheirOwn() {
    let folded = "Subject: a\r\n b\r\n\tc\r\n"
    let extra = Self.fields(Self.limits.headerFields - 9) + folded
    Self.expectRequest(Self.decode(Self.invite(extra: extra)))
  }

  @Test func theIssuesThirteenThousandHeaderLinesGet400() {
    let extra = String(repeating: "a:b\r\n", count: 13_000)
    Self.expectRefusal(Self.decode(Self.invite(extra: extra)), "Too Many Headers")
  }

  // MARK: Values per header line

  @Test func valuesPerHeaderAtTheCapArePassedOn() {
    let line =
      "Supported: " + Array(repeating: "x", count: Self.limits.valuesPerHeader).joined(separator: ",")
    Self.expectRequest(Self.decode(Self.invite(extra: line + "\r\n")))
  }

  @Test func oneValueOverTheCapGets400() {
    let line =
      "Supported: " + Array(repeating: "x", count: Self.limits.valuesPerHeader + 1).joined(separator: ",")
    Self.expectRefusal(Self.decode(Self.invite(extra: line + "\r\n")), "Too Many Header Values")
  }

  /// Issue 15: one datagram of `Supported: x,x,...` (32,000 items) cost 2.2 s of CPU.
  @Test(arguments: ["Supported", "Route", "Record-Route", "Contact", "Accept", "Allow", "Via", "k"])
  func theIssuesLongListGets400(name: String) {
    let item =
      switch name {
      case "Route", "Record-Route", "Contact": "<sip:h;lr>"
      case "Accept": "a/b"
      case "Via": "SIP/2.0/UDP h"
      default: "x"
      }
    let count = 60_000 / (item.utf8.count + 1)
    let line = "\(name): " + Array(repeating: item, count: count).joined(separator: ",") + "\r\n"
    let bytes = Self.invite(extra: line)
    #expect(bytes.count <= 65_535)
    Self.expectRefusal(Self.decode(bytes), "Too Many Header Values")
  }

  // MARK: Parameters per value

  @Test func viaParametersAtTheCapArePassedOn() {
    // `branch` and 63 more.
    let via = "SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-1" + String(repeating: ";p", count: 63)
    Self.expectRequest(Self.decode(Self.invite(via: via)))
  }

  /// Issue 15: a Via with 32,000 parameters cost 0.97 s.
  @Test(arguments: [65, 32_000])
  func viaParametersOverTheCapGet400(count: Int) {
    let via = "SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-1" + String(repeating: ";p", count: count - 1)
    Self.expectRefusal(Self.decode(Self.invite(via: via)), "Too Many Parameters")
  }

  @Test func requestURIParametersAreCapped() {
    let atCap = "sip:15551234@192.0.2.1" + String(repeating: ";p", count: Self.limits.parametersPerValue)
    Self.expectRequest(Self.decode(Self.invite(requestURI: atCap)))
    Self.expectRefusal(Self.decode(Self.invite(requestURI: atCap + ";p")), "Too Many Parameters")
  }

  @Test func uriHeadersCountAsParameters() {
    let headers = (0...Self.limits.parametersPerValue).map { "h\($0)=1" }.joined(separator: "&")
    Self.expectRefusal(
      Self.decode(Self.invite(extra: "Contact: <sip:alice@192.0.2.7?\(headers)>\r\n")), "Too Many Parameters")
  }

  @Test func aCommaStartsTheParametersOfTheNextValueAfresh() {
    let value = "<sip:h;lr>" + String(repeating: ";p", count: Self.limits.parametersPerValue - 1)
    Self.expectRequest(Self.decode(Self.invite(extra: "Record-Route: \(value), \(value)\r\n")))
  }

  // MARK: Parameters per message

  @Test func parametersPerMessageAreCapped() {
    // 3 in the base message, 15 × 64 + 61 more: 1024 in all.
    let full = "X-P: a" + String(repeating: ";p", count: 64) + "\r\n"
    let atCap = String(repeating: full, count: 15) + "X-Q: a" + String(repeating: ";p", count: 61)
    Self.expectRequest(Self.decode(Self.invite(extra: atCap + "\r\n")))
    Self.expectRefusal(Self.decode(Self.invite(extra: atCap + ";p\r\n")), "Too Many Parameters")
  }

  // MARK: Multipart bodies

  @Test func escapesAtTheCapArePassedOn() {
    let user = String(repeating: "%5C", count: Self.limits.escapesPerMessage)
    Self.expectRequest(Self.decode(Self.invite(extra: "X-Contact: <sip:\(user)@192.0.2.7>\r\n")))
  }

  /// The fuzzer's input: a Contact URI of 17,000 escapes cost libosip2 about
  /// 90 ms to unescape (one `sscanf` per `%`, each measuring the rest).
  @Test(arguments: [257, 17_000])
  func escapesOverTheCapGet400(count: Int) {
    let user = String(repeating: "%5C", count: count)
    Self.expectRefusal(
      Self.decode(Self.invite(extra: "X-Contact: <sip:\(user)@192.0.2.7>\r\n")), "Too Many Escapes")
  }

  @Test func escapesInTheRequestURICount() {
    let user = String(repeating: "%23", count: 300)
    Self.expectRefusal(
      Self.decode(Self.invite(requestURI: "sip:\(user)@192.0.2.1")), "Too Many Escapes")
  }

  /// A Contact of backslashes passes the caps as it came, but libosip2
  /// serializes each as `%5C`: the switch's own bytes go over the escape cap,
  /// and `admits` says not to parse them again (the fuzzer's input had 46,603).
  @Test func aMessageWhoseSerializationEscapesPastTheCapIsNotAdmittedAgain() throws {
    let user = String(repeating: "\\", count: 300)
    let bytes = Self.invite(extra: "X-Note: 1\r\n").replacing(
      Array("<sip:alice@".utf8), with: Array("<sip:\(user)@".utf8))
    guard case .request(let message) = Self.decode(bytes) else {
      Issue.record("the request as it came should be passed on")
      return
    }
    #expect(Self.limits.admits(bytes))
    let serialized = message.serialized()
    #expect(String(decoding: serialized, as: UTF8.self).contains("%5C"))
    #expect(!Self.limits.admits(serialized))
    #expect(Self.limits.admits(Self.invite()))
  }

  /// Bytes libosip2 escapes when it serializes a URI (`\\ ^ ` { | }` and
  /// non-ASCII), one `sprintf` each: a Contact of 60,000 backslashes cost
  /// 15 ms per datagram (an hour of fuzzing). Over 1024 they get 400.
  @Test(arguments: ["\\", "^", "`", "{", "|", "}", "é"])
  func bytesASerializedURIEscapesAreCapped(character: String) {
    let bytesEach = character.utf8.count
    let atCap = String(repeating: character, count: Self.limits.escapedBytesPerMessage / bytesEach)
    Self.expectRequest(Self.decode(Self.invite(extra: "X-Contact: <sip:\(atCap)@192.0.2.7>\r\n")))
    let over = atCap + character
    Self.expectRefusal(
      Self.decode(Self.invite(extra: "X-Contact: <sip:\(over)@192.0.2.7>\r\n")), "Too Many Escaped Characters"
    )
  }

  @Test func aDisplayNameInAnotherScriptIsPassedOn() {
    let name = String(repeating: "Иван Петров ", count: 10)  // 210 bytes of UTF-8
    Self.expectRequest(Self.decode(Self.invite(extra: "X-Caller: \"\(name)\" <sip:ivan@192.0.2.7>\r\n")))
  }

  @Test func percentSignsInTheBodyDoNotCount() {
    let body = String(repeating: "a=x-note:100%\r\n", count: 300)
    Self.expectRequest(Self.decode(Self.invite(contentType: "application/sdp", body: "v=0\r\n" + body)))
  }

  @Test func aMultipartBodysLinesCountAsHeaderFields() {
    let part = "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    let small = part + part + "--b--\r\n"
    Self.expectRequest(Self.decode(Self.invite(contentType: "multipart/mixed;boundary=b", body: small)))
    let large = String(repeating: part, count: 100) + "--b--\r\n"
    Self.expectRefusal(
      Self.decode(Self.invite(contentType: "multipart/mixed;boundary=b", body: large)), "Too Many Body Parts")
    // The same lines in an opaque body are not parsed by libosip2, and not counted.
    Self.expectRequest(Self.decode(Self.invite(contentType: "text/plain", body: large)))
  }

  /// Found by the fuzzer (Fuzz/regressions): libosip2 5.3 leaks a body part's
  /// first Content-Type when the part names a second one.
  @Test(arguments: [
    "Content-Type: text/plain\r\nContent-Type: text/html\r\n",
    "Content-Type: text/plain\r\nX-Other: 1\r\ncontent-typE-x: a/b\r\n",
    "Content-Type: text/plain\rContent-Type: text/html\r\n",
  ])
  func aBodyPartWithTwoContentTypesGets400(headers: String) {
    let body = "--b\r\n" + headers + "\r\nhello\r\n--b--\r\n"
    Self.expectRefusal(
      Self.decode(Self.invite(contentType: "multipart/mixed;boundary=b", body: body)), "Bad Multipart Body")
  }

  /// Found by the fuzzer (Fuzz/regressions): libosip2 looks for the start
  /// line's two spaces past its line end, so a start line without two of its
  /// own hid a multipart body with two Content-Types from our scan.
  @Test(arguments: [
    "INVITE sip:15551234@192.0.2.1\r\n", "INVITE  SIP/2.0\r\n", "INVITEsip:15551234@192.0.2.1\r\n",
  ])
  func aStartLineWithoutTwoSpacesOfItsOwnGets400(startLine: String) {
    let invite = String(decoding: Self.invite(), as: UTF8.self)
    let rest = invite[invite.range(of: "\r\n")!.upperBound...]
    Self.expectRefusal(Self.decode(Array((startLine + rest).utf8)), "Bad Start Line")
  }

  @Test func theFuzzersStartLineThatHidAMultipartBodyNeverReachesLibosip2() throws {
    let text =
      "s\n\n ip:kr SIP/\nC:multipart/x;boundary=7a9cbec02ceef6\n\n--7a9cbec02ceef65Content-Type: a\n"
      + "content-type:ay\rt\n--7a9cbec02ceef6b"
    for isDatagram in [true, false] {
      // Refused before parsing (with no Via of its own, it cannot be answered).
      guard case .drop(let reason) = Self.decode(Array(text.utf8), isDatagram: isDatagram) else {
        Issue.record("not refused before parsing")
        continue
      }
      #expect(reason == "unanswerable request: Bad Start Line")
    }
    // A start line with one character between its spaces is a start line.
    let options =
      "OPTIONS * SIP/2.0\r\n"
      + String(decoding: Self.invite(), as: UTF8.self).split(
        separator: "\r\n", maxSplits: 1)[1]
    if case .reject(_, let phrase, _) = Self.decode(Array(options.utf8)) {
      #expect(phrase != "Bad Start Line")
    }
  }

  @Test func partsWithOneContentTypeEachArePassedOn() {
    let part = "--b\r\nContent-Type: text/plain\r\n\r\nthe content-type of this part is text\r\n"
    Self.expectRequest(
      Self.decode(Self.invite(contentType: "multipart/mixed;boundary=b", body: part + part + "--b--\r\n")))
  }

  // MARK: Responses and streams

  @Test func aResponseOverACapIsDropped() {
    let text =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK-1\r\nFrom: <sip:a@h>;tag=1\r\n"
      + "To: <sip:b@h>;tag=2\r\nCall-ID: limits-1@192.0.2.7\r\nCSeq: 1 INVITE\r\n"
      + "Supported: " + Array(repeating: "x", count: 65).joined(separator: ",")
      + "\r\nContent-Length: 0\r\n\r\n"
    guard case .drop(let reason) = Self.decode(Array(text.utf8)) else {
      Issue.record("a response over a cap must be dropped")
      return
    }
    #expect(reason.contains("Too Many Header Values"))
  }

  @Test func anACKOverACapIsDroppedNotAnswered() {
    let invite = String(decoding: Self.invite(extra: Self.fields(Self.limits.headerFields)), as: UTF8.self)
    let ack = ("ACK" + invite.dropFirst(6)).replacing("CSeq: 1 INVITE", with: "CSeq: 1 ACK")
    guard case .drop = Self.decode(Array(ack.utf8)) else {
      Issue.record("an ACK is never answered")
      return
    }
  }

  @Test func aStreamFrameIsCappedAsADatagramIs() {
    let line = "Supported: " + Array(repeating: "x", count: 65).joined(separator: ",") + "\r\n"
    Self.expectRefusal(Self.decode(Self.invite(extra: line), isDatagram: false), "Too Many Header Values")
  }

  @Test func limitsCanBeSetPerDecoder() {
    let decoder = InboundDecoder(limits: SIPMessageLimits(headerFields: 10))
    let decision = Self.invite(extra: Self.fields(3)).withUnsafeBytes {
      decoder.decode($0, isDatagram: true, source: Self.source)
    }
    Self.expectRefusal(decision, "Too Many Headers")
  }

  /// Every RFC 4475 message is well within the caps: the corpus outcomes stay as they were.
  @Test func theTortureMessagesAreWithinTheCaps() {
    for name in Corpus.manifest.keys.sorted() {
      let bytes = Corpus.bytes(name)
      let excess = bytes.withUnsafeBytes { Self.limits.firstExcess(in: $0, head: RawSIPHead(scanning: $0)) }
      #expect(excess == nil, "\(name)")
    }
  }
}
