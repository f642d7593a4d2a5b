import Glibc

/// What became of one inbound message's bytes.
public enum InboundDecision {
  /// A request that passed the message-level checks of RFC 3261 §8.2 / §16.3.
  case request(SIPMessage)
  /// A response that passed the checks of §18.1.2.
  case response(SIPMessage)
  /// A request refused before it reached the proxy: send `response` (bytes
  /// built from the raw request) back to the source.
  case reject(status: Int, reason: String, response: [UInt8])
  /// Nothing can or should be answered (an unanswerable request, a broken
  /// response, a keepalive); `reason` is for the counter and the debug log.
  case drop(reason: String)
}

/// Frames (for datagrams), parses and checks one inbound message. Every
/// RFC 4475 message gets the outcome its manifest row asks for; nothing here
/// touches a socket or logs.
public struct InboundDecoder: Sendable {
  /// The Server header value on locally built responses (empty: none).
  public var serverHeader: String
  /// Methods answered in Allow on 405/501.
  public var allow: String
  /// Caps on headers, values and parameters, checked before the parse (docs/limits.md).
  public var limits: SIPMessageLimits

  public init(
    serverHeader: String = "",
    allow: String = SIPMethod.allowHeaderValue,
    limits: SIPMessageLimits = SIPMessageLimits()
  ) {
    self.serverHeader = serverHeader
    self.allow = allow
    self.limits = limits
  }

  public func decode(_ input: UnsafeRawBufferPointer, isDatagram: Bool, source: Endpoint) -> InboundDecision {
    let head = RawSIPHead(scanning: input)
    guard !head.startLine.isEmpty else { return .drop(reason: "empty or keepalive") }
    let isResponse = Self.startsWith(input, head.startLine, "SIP/")
    // libosip2 looks for the start line's two spaces wherever they are, past
    // its line end: a start line without two of its own would be read with
    // the lines after it, and libosip2 would find its headers where our
    // scans do not (found by the fuzzer: a multipart body that our scan
    // never saw reached libosip2's Content-Type leak).
    guard Self.hasTwoSeparateSpaces(input, head.startLine) else {
      return refuse(isResponse, 400, "Bad Start Line", input, head, source)
    }
    var bytes = input
    if isDatagram {
      switch head.datagramFraming(totalLength: input.count) {
      case .message(let length):
        bytes = UnsafeRawBufferPointer(rebasing: input[0..<length])
      case .invalidContentLength:
        return refuse(isResponse, 400, "Bad Content-Length", input, head, source)
      case .truncatedBody:
        return refuse(isResponse, 400, "Content-Length Exceeds Body", input, head, source)
      }
    }
    // libosip2's work grows with the square of a message's list elements:
    // count them first, in one pass (a request over a cap gets 400, a response is dropped).
    if let excess = limits.firstExcess(in: bytes, head: head) {
      return refuse(isResponse, 400, excess.reasonPhrase, input, head, source)
    }
    let message: SIPMessage
    do {
      message = try SIPMessage(parsing: bytes)
    } catch {
      if !isResponse, let scheme = Self.requestURIScheme(input, head.startLine), !Self.isSupported(scheme) {
        return refuse(false, 416, "Unsupported URI Scheme", input, head, source)
      }
      return refuse(isResponse, 400, "Bad Request", input, head, source)
    }
    return isResponse ? check(response: message, input, head) : check(request: message, input, head, source)
  }

  // MARK: Requests, RFC 3261 §8.2 and §16.3

  private func check(
    request message: SIPMessage, _ input: UnsafeRawBufferPointer, _ head: RawSIPHead, _ source: Endpoint
  ) -> InboundDecision {
    func reject(_ status: Int, _ reason: String, _ extra: [(String, String)] = []) -> InboundDecision {
      refuse(false, status, reason, input, head, source, extra)
    }
    // §8.2.2 / §21.5.20: only SIP/2.0.
    guard message.sipVersion?.uppercased() == "SIP/2.0" else { return reject(505, "Version Not Supported") }
    guard let topVia = message.topVia else { return reject(400, "Missing Via") }
    guard topVia.version.uppercased() == "2.0" || topVia.version.isEmpty else {
      return reject(505, "Version Not Supported")
    }
    guard message.callID != nil else { return reject(400, "Missing Call-ID") }
    guard message.hasFrom else { return reject(400, "Missing From") }
    guard message.hasTo else { return reject(400, "Missing To") }
    guard let cseq = message.cseq else { return reject(400, "Missing CSeq") }
    guard cseq.number != nil else { return reject(400, "Bad CSeq") }
    guard let method = message.method else { return reject(400, "Bad Request Line") }
    if cseq.method != method.description {
      // RFC 4475 §3.1.2.18: an unknown method is better answered 501.
      if case .extension = method { return reject(501, "Not Implemented", [("Allow", allow)]) }
      return reject(400, "CSeq Method Mismatch")
    }
    // RFC 4475 §3.2.1: a bare magic cookie is not a branch.
    if topVia.branch == "z9hG4bK" { return reject(400, "Bad Via Branch") }
    guard let uri = message.requestURISchemeAndHeaders else { return reject(400, "Bad Request-URI") }
    guard Self.isSupported(uri.scheme) else { return reject(416, "Unsupported URI Scheme") }
    // RFC 4475 §3.1.2.11: escaped headers have no place in a Request-URI.
    guard !uri.hasHeaders else { return reject(400, "Headers In Request-URI") }
    // The switch works on SDP: an INVITE whose Accept rules SDP out cannot be
    // served (RFC 3261 §21.4.7; RFC 4475 §3.3.15).
    if method == .invite, !Self.acceptsSDP(message.acceptedTypes) {
      return reject(
        406, "Not Acceptable", [("Warning", "399 didtron-switch \"Accept excludes application/sdp\"")])
    }
    // §16.3 item 5: this proxy supports no extension that a request could require of it.
    let proxyRequire = message.headerValues("proxy-require").flatMap(Self.optionTags)
    if !proxyRequire.isEmpty {
      return reject(420, "Bad Extension", [("Unsupported", proxyRequire.joined(separator: ", "))])
    }
    return .request(message)
  }

  // MARK: Responses, RFC 3261 §18.1.2

  private func check(
    response message: SIPMessage, _ input: UnsafeRawBufferPointer, _ head: RawSIPHead
  ) -> InboundDecision {
    // libosip2 reads a status code with atoi; insist on three digits (RFC 4475 §3.1.2.19).
    guard Self.hasThreeDigitStatus(input, head.startLine), (100...699).contains(message.statusCode) else {
      return .drop(reason: "bad status code")
    }
    guard message.sipVersion?.uppercased() == "SIP/2.0" else { return .drop(reason: "bad version") }
    guard message.topVia != nil, message.callID != nil, message.hasFrom, message.hasTo,
      let cseq = message.cseq, cseq.number != nil
    else { return .drop(reason: "bad response headers") }
    return .response(message)
  }

  // MARK: Helpers

  private func refuse(
    _ isResponse: Bool, _ status: Int, _ reason: String, _ input: UnsafeRawBufferPointer, _ head: RawSIPHead,
    _ source: Endpoint, _ extra: [(String, String)] = []
  ) -> InboundDecision {
    // Responses are never answered (§18.1.2); nor is an ACK (§17.2.1).
    if isResponse { return .drop(reason: "malformed response: \(reason)") }
    if Self.startsWith(input, head.startLine, "ACK ") { return .drop(reason: "malformed ACK") }
    var headers = extra
    if !serverHeader.isEmpty { headers.append(("Server", serverHeader)) }
    guard
      let response = SIPResponseBuilder.response(
        to: input, head: head, status: status, reason: reason, toTag: nil, source: source,
        extraHeaders: headers)
    else { return .drop(reason: "unanswerable request: \(reason)") }
    return .reject(status: status, reason: reason, response: response)
  }

  static func isSupported(_ scheme: String) -> Bool {
    switch scheme.lowercased() {
    case "sip", "sips", "tel": true
    default: false
    }
  }

  private static func acceptsSDP(_ values: [String]) -> Bool {
    guard !values.isEmpty else { return true }
    return values.contains { $0 == "application/sdp" || $0 == "application/*" || $0 == "*/*" || $0 == "/" }
  }

  private static func optionTags(_ value: String) -> [String] {
    value.split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
  }

  /// A space in `range`, and another at least two bytes after it, as
  /// libosip2's start-line parsers need them (method or version, then the
  /// Request-URI or status code, then the version or reason phrase).
  static func hasTwoSeparateSpaces(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
    guard let base = bytes.baseAddress, range.count >= 3,
      let first = memchr(base + range.lowerBound, 32, range.count)
    else { return false }
    let from = base.distance(to: UnsafeRawPointer(first)) + 2
    return from < range.upperBound && memchr(base + from, 32, range.upperBound - from) != nil
  }

  private static func startsWith(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ prefix: StaticString)
    -> Bool
  {
    guard range.count >= prefix.utf8CodeUnitCount else { return false }
    let expected = prefix.utf8Start
    for offset in 0..<prefix.utf8CodeUnitCount where bytes[range.lowerBound + offset] != expected[offset] {
      return false
    }
    return true
  }

  private static func hasThreeDigitStatus(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> Bool {
    guard let space = bytes[line].firstIndex(of: 32) else { return false }
    var index = space + 1
    var digits = 0
    while index < line.upperBound, bytes[index] >= 48, bytes[index] <= 57 {
      digits += 1
      index += 1
    }
    return digits == 3 && (index == line.upperBound || bytes[index] == 32)
  }

  private static func requestURIScheme(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> String? {
    guard let space = bytes[line].firstIndex(of: 32) else { return nil }
    var index = space + 1
    while index < line.upperBound, bytes[index] == 32 { index += 1 }
    let start = index
    while index < line.upperBound, bytes[index] != 58, bytes[index] != 32 { index += 1 }
    guard index < line.upperBound, bytes[index] == 58, index > start else { return nil }
    // RFC 3261 §25.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    for byte in bytes[start..<index] {
      let isAlpha = (byte | 0x20) >= 97 && (byte | 0x20) <= 122
      let isOther = (byte >= 48 && byte <= 57) || byte == 43 || byte == 45 || byte == 46
      guard isAlpha || isOther else { return nil }
    }
    return String(decoding: bytes[start..<index], as: UTF8.self)
  }
}
