import CLibOSIP

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Keeps a comma-separated header field on one line through libosip2.
///
/// libosip2 (5.3, `osip_message_set_multiple_header`) cuts the value of every
/// header field at its commas (outside quotes and `<...>`), keeps one element
/// per piece and writes each as a header field of its own: `Allow: INVITE,
/// ACK` would leave the switch as two `Allow` lines, which some user agents
/// read only the first of. For a field the switch never needs cut, its commas
/// are hidden from libosip2 behind `byte` (never valid UTF-8, like the NUL
/// stand-in) while it parses, and put back when the message is serialized, so
/// the field leaves as it came.
///
/// Fields still cut as before: those the switch walks value by value (Via,
/// Route, Record-Route, Contact), those libosip2 parses into structures with
/// parameters (Accept, Accept-Encoding, Accept-Language, Alert-Info,
/// Call-Info, Error-Info), those it never cuts anyway (From, To, Call-ID,
/// CSeq, the authentication fields, ...), and the identity fields the switch
/// reads with their quoted strings and URIs (P-Asserted-Identity,
/// Remote-Party-ID, Reason), plus Max-Forwards. `SIPMessage.headerValues`
/// cuts a kept field at its stand-ins, so the switch reads the same values as
/// before (`Supported: timer, 100rel` reads `timer` and `100rel`).
///
/// The work is proportional to the commas: a message without any costs one
/// `memchr`; otherwise one `memchr` per line to find the header section's end
/// and a short walk around each field that holds a comma.
enum ListHeaderCommas {
  /// What stands in for a hidden comma (`SIPMessage` uses 0xFF for a NUL).
  static let byte: UInt8 = 0xFE

  /// Writes the stand-ins into `copy` (made from `bytes` on the first one);
  /// when there was at least one, the end of the header section they are
  /// in, else nil. Nothing is hidden when the header section already holds
  /// `byte`, or in a field with a lone CR (libosip2 would cut its lines
  /// differently).
  static func hide(in bytes: UnsafeRawBufferPointer, copy: inout [UInt8]?) -> Int? {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
    let count = bytes.count
    // Commas in the start line (a Request-URI's user part) are not a field's;
    // CRs and LFs before it are skipped (RFC 3261 §7.5), as libosip2 does.
    var startLineStart = 0
    while startLineStart < count, bytes[startLineStart] == 13 || bytes[startLineStart] == 10 {
      startLineStart += 1
    }
    guard let startLineEnd = find(10, base, startLineStart, count),
      var comma = find(UInt8(ascii: ","), base, startLineEnd, count)
    else { return nil }
    let headerEnd = headerSectionEnd(base, from: startLineEnd, count)
    var hidden = false
    var checkedStandIn = false
    while comma < headerEnd {
      let field = self.field(around: comma, base, headerEnd)
      let next = field.end
      if field.start > startLineEnd, let colon = field.colon, colon < comma,
        isKeptWhole(base, field.start, colon),
        !hasLoneCR(base, field.start, field.end)
      {
        if !checkedStandIn {
          checkedStandIn = true
          if find(byte, base, 0, headerEnd) != nil { return nil }
        }
        if copy == nil { copy = Array(bytes) }
        var position = comma
        while let found = find(UInt8(ascii: ","), base, position, field.end) {
          copy![found] = byte
          position = found + 1
        }
        hidden = true
      }
      guard let following = find(UInt8(ascii: ","), base, next, headerEnd) else { break }
      comma = following
    }
    return hidden ? headerEnd : nil
  }

  /// Puts the commas back in the header section (up to `end`, else found
  /// from the start: serialized bytes have no empty lines before it).
  static func restore(in bytes: UnsafeMutableRawBufferPointer, upTo end: Int? = nil) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    let end = min(end ?? headerSectionEnd(UnsafeRawPointer(base), from: 0, bytes.count), bytes.count)
    var position = 0
    while let found = find(byte, UnsafeRawPointer(base), position, end) {
      bytes[found] = UInt8(ascii: ",")
      position = found + 1
    }
  }

  /// Appends a generic header's value to `values`: a list kept on one line
  /// as the values libosip2 would have cut it into (`hidden`: the message
  /// hid commas), so the switch reads what it read before.
  static func append(_ value: UnsafePointer<CChar>, to values: inout [String], hidden: Bool) {
    guard hidden, strchr(value, Int32(byte)) != nil else { return values.append(String(cString: value)) }
    values += pieces(of: value)
  }

  /// The value's pieces between stand-ins, trimmed, empty ones left out: what
  /// libosip2 would have kept as separate values.
  static func pieces(of value: UnsafePointer<CChar>) -> [String] {
    UnsafeRawBufferPointer(start: value, count: strlen(value)).split(separator: byte).compactMap { piece in
      let text = String(decoding: piece, as: UTF8.self).trimmingWhitespace()
      return text.isEmpty ? nil : String(text)
    }
  }

  // MARK: Private

  /// The first `target` in `from..<to`.
  @inline(__always)
  private static func find(_ target: UInt8, _ base: UnsafeRawPointer, _ from: Int, _ to: Int) -> Int? {
    guard from < to, let found = memchr(base + from, Int32(target), to - from) else { return nil }
    return base.distance(to: UnsafeRawPointer(found))
  }

  /// Just past the empty line that ends the header section (LF LF or
  /// LF CR LF), or `count`.
  private static func headerSectionEnd(_ base: UnsafeRawPointer, from start: Int, _ count: Int) -> Int {
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    var position = start
    while let lineFeed = find(10, base, position, count) {
      let next = lineFeed + 1
      if next < count, bytes[next] == 10 { return next + 1 }
      if next + 1 < count, bytes[next] == 13, bytes[next + 1] == 10 { return next + 2 }
      position = next
    }
    return count
  }

  /// The header field (its first line and continuation lines) that holds
  /// `position`: where it starts, its colon (if on its first line) and the
  /// end (its last LF, or `limit`).
  private static func field(around position: Int, _ base: UnsafeRawPointer, _ limit: Int)
    -> (start: Int, colon: Int?, end: Int)
  {
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    var start = position
    while true {
      while start > 0, bytes[start - 1] != 10 { start -= 1 }
      // A line that starts with SP or HT continues the one before it.
      guard start > 0, bytes[start] == 32 || bytes[start] == 9 else { break }
      start -= 1
    }
    var end = position
    while let lineFeed = find(10, base, end, limit) {
      end = lineFeed + 1
      guard end < limit, bytes[end] == 32 || bytes[end] == 9 else { break }
    }
    if end <= position { end = limit }
    let firstLineEnd = find(10, base, start, end) ?? end
    return (start, find(UInt8(ascii: ":"), base, start, firstLineEnd), end)
  }

  /// A CR that does not end its line.
  private static func hasLoneCR(_ base: UnsafeRawPointer, _ from: Int, _ to: Int) -> Bool {
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    var position = from
    while let cr = find(13, base, position, to) {
      if cr + 1 >= to || bytes[cr + 1] != 10 { return true }
      position = cr + 1
    }
    return false
  }

  /// Whether the field named by `start..<colon` (trimmed) keeps its commas.
  private static func isKeptWhole(_ base: UnsafeRawPointer, _ start: Int, _ colon: Int) -> Bool {
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    var nameEnd = colon
    while nameEnd > start, bytes[nameEnd - 1] == 32 || bytes[nameEnd - 1] == 9 { nameEnd -= 1 }
    let name = UnsafeBufferPointer(start: bytes + start, count: nameEnd - start)
    guard !name.isEmpty else { return false }
    for cut in cutNames where cut.count == name.count {
      var same = true
      for index in 0..<name.count where name[index] | 0x20 != cut[index] {
        same = false
        break
      }
      if same { return false }
    }
    return true
  }

  /// Lower-case names of the fields that libosip2 still cuts (or that must
  /// not hold a stand-in): see the type's comment.
  private static let cutNames: [[UInt8]] = [
    "via", "v", "route", "record-route", "contact", "m",
    "accept", "accept-encoding", "accept-language", "alert-info", "call-info", "error-info",
    "from", "f", "to", "t", "call-id", "i", "cseq", "date", "subject", "s", "expires", "server",
    "user-agent", "organization", "www-authenticate", "proxy-authenticate", "authorization",
    "proxy-authorization", "authentication-info", "proxy-authentication-info", "refer-to", "r",
    "referred-by", "b", "content-type", "c", "content-length", "l", "mime-version",
    "p-asserted-identity", "remote-party-id", "reason", "max-forwards",
  ].map { Array($0.utf8) }
}
