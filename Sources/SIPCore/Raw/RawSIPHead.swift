/// A byte-level scan of a SIP message's start line and headers, without
/// libosip2. It serves two purposes that must work even when the full parse
/// fails: framing a datagram by Content-Length (RFC 3261 §18.3), and building
/// a locally generated response (which copies Via, From, To, Call-ID and CSeq
/// from the request, §8.2.6.2).
public struct RawSIPHead: Sendable {
  /// Byte ranges of header values (after the colon, surrounding whitespace
  /// trimmed; folded continuation lines included).
  public var vias: [Range<Int>] = []
  public var from: Range<Int>?
  public var to: Range<Int>?
  public var callID: Range<Int>?
  public var cseq: Range<Int>?
  public var routes: [Range<Int>] = []
  /// Contact values (a registrar reads them as written: libosip2 unescapes URIs).
  public var contacts: [Range<Int>] = []
  public var expires: Range<Int>?
  /// Authorization header values (digest credentials of a REGISTER).
  public var authorizations: [Range<Int>] = []
  /// Proxy-Authorization header values (digest credentials of an INVITE, RFC 3261 §22.3).
  public var proxyAuthorizations: [Range<Int>] = []
  /// The first Content-Type value (a multipart body is counted against the limits).
  public var contentType: Range<Int>?
  /// Every Content-Length value; `nil` entries did not parse as a number.
  public var contentLengths: [Int?] = []
  /// Where the body starts: just after the empty line, or the end of the
  /// input when there is no empty line (a datagram's end also ends its headers).
  public var bodyStart: Int
  /// Whether an empty line terminated the header section.
  public var hasHeaderTerminator: Bool
  /// The start line, without its CRLF.
  public var startLine: Range<Int>

  public init(scanning bytes: UnsafeRawBufferPointer) {
    let count = bytes.count
    var index = 0
    // Leading CRLFs before a message are allowed (RFC 3261 §7.5).
    while index < count, bytes[index] == 13 || bytes[index] == 10 { index += 1 }
    let startLineStart = index
    while index < count, bytes[index] != 10 { index += 1 }
    var startLineEnd = index
    if startLineEnd > startLineStart, bytes[startLineEnd - 1] == 13 { startLineEnd -= 1 }
    startLine = startLineStart..<startLineEnd
    if index < count { index += 1 }
    bodyStart = count
    hasHeaderTerminator = false
    while index < count {
      // An empty line ends the headers.
      if bytes[index] == 13, index + 1 < count, bytes[index + 1] == 10 {
        bodyStart = index + 2
        hasHeaderTerminator = true
        return
      }
      if bytes[index] == 10 {
        bodyStart = index + 1
        hasHeaderTerminator = true
        return
      }
      let lineStart = index
      var colon = -1
      // A header line, with folded continuation lines (RFC 3261 §7.3.1).
      while index < count {
        if bytes[index] == 10 {
          if index + 1 < count, bytes[index + 1] == 32 || bytes[index + 1] == 9 {
            index += 1
            continue
          }
          break
        }
        if colon < 0, bytes[index] == 58 { colon = index }
        index += 1
      }
      var lineEnd = index
      if lineEnd > lineStart, bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
      if index < count { index += 1 }
      guard colon > lineStart else { continue }
      var nameEnd = colon
      while nameEnd > lineStart, bytes[nameEnd - 1] == 32 || bytes[nameEnd - 1] == 9 { nameEnd -= 1 }
      var valueStart = colon + 1
      while valueStart < lineEnd, Self.isWhitespace(bytes[valueStart]) { valueStart += 1 }
      var valueEnd = lineEnd
      while valueEnd > valueStart, Self.isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
      let value = valueStart..<valueEnd
      switch Self.headerKind(bytes, lineStart..<nameEnd) {
      case .via: vias.append(value)
      case .from: if from == nil { from = value }
      case .to: if to == nil { to = value }
      case .callID: if callID == nil { callID = value }
      case .cseq: if cseq == nil { cseq = value }
      case .route: routes.append(value)
      case .contentLength: contentLengths.append(Self.decimal(bytes, value))
      case .contact: contacts.append(value)
      case .expires: if expires == nil { expires = value }
      case .authorization: authorizations.append(value)
      case .proxyAuthorization: proxyAuthorizations.append(value)
      case .contentType: if contentType == nil { contentType = value }
      case .other: break
      }
    }
  }

  /// How a datagram is cut to one message (RFC 3261 §18.3): the body is
  /// Content-Length octets, the rest of the datagram is discarded; without a
  /// Content-Length the body runs to the end of the datagram.
  public enum DatagramFraming: Equatable, Sendable {
    /// The message is the first `length` bytes.
    case message(length: Int)
    /// Content-Length is negative, not a number, or given twice with different values.
    case invalidContentLength
    /// Content-Length is larger than the bytes present.
    case truncatedBody(declared: Int, present: Int)
  }

  public func datagramFraming(totalLength: Int) -> DatagramFraming {
    guard let first = contentLengths.first else { return .message(length: totalLength) }
    guard let declared = first, declared >= 0,
      contentLengths.allSatisfy({ $0 == declared })
    else { return .invalidContentLength }
    let present = totalLength - bodyStart
    guard declared <= present else { return .truncatedBody(declared: declared, present: present) }
    return .message(length: bodyStart + declared)
  }

  private enum HeaderKind {
    case via, from, to, callID, cseq, route, contentLength, contentType, contact, expires, authorization,
      proxyAuthorization, other
  }

  @inline(__always) private static func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 32 || byte == 9 || byte == 13 || byte == 10
  }

  private static func headerKind(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> HeaderKind {
    switch name.count {
    case 1:
      switch bytes[name.lowerBound] | 0x20 {
      case UInt8(ascii: "v"): return .via
      case UInt8(ascii: "f"): return .from
      case UInt8(ascii: "t"): return .to
      case UInt8(ascii: "i"): return .callID
      case UInt8(ascii: "l"): return .contentLength
      case UInt8(ascii: "m"): return .contact
      case UInt8(ascii: "c"): return .contentType
      default: return .other
      }
    case 2: return equalsLowercased(bytes, name, "to") ? .to : .other
    case 3: return equalsLowercased(bytes, name, "via") ? .via : .other
    case 4:
      if equalsLowercased(bytes, name, "from") { return .from }
      return equalsLowercased(bytes, name, "cseq") ? .cseq : .other
    case 5: return equalsLowercased(bytes, name, "route") ? .route : .other
    case 7:
      if equalsLowercased(bytes, name, "call-id") { return .callID }
      if equalsLowercased(bytes, name, "contact") { return .contact }
      return equalsLowercased(bytes, name, "expires") ? .expires : .other
    case 12: return equalsLowercased(bytes, name, "content-type") ? .contentType : .other
    case 13: return equalsLowercased(bytes, name, "authorization") ? .authorization : .other
    case 14: return equalsLowercased(bytes, name, "content-length") ? .contentLength : .other
    case 19: return equalsLowercased(bytes, name, "proxy-authorization") ? .proxyAuthorization : .other
    default: return .other
    }
  }

  static func equalsLowercased(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lower: StaticString
  ) -> Bool {
    guard range.count == lower.utf8CodeUnitCount else { return false }
    let expected = lower.utf8Start
    for offset in 0..<range.count where bytes[range.lowerBound + offset] | 0x20 != expected[offset] {
      return false
    }
    return true
  }

  static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
    guard !range.isEmpty, range.count <= 10 else { return nil }
    var value = 0
    for index in range {
      let byte = bytes[index]
      guard byte >= 48, byte <= 57 else { return nil }
      value = value * 10 + Int(byte - 48)
    }
    return value
  }
}
