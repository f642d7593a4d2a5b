/// Builds a locally generated response from a request's raw bytes
/// (RFC 3261 §8.2.6.2): Via values copied in order, From, Call-ID and CSeq
/// copied, To copied with a tag added when the request's To has none, and
/// Content-Length 0. Works on requests libosip2 refused, so a malformed
/// request can still get its 400.
public enum SIPResponseBuilder {
  /// A response, or `nil` when the request has no Via to send it along.
  ///
  /// `source` is where the request came from: the top Via gets `received`
  /// (§18.2.1) and a valueless `rport` gets the source port (RFC 3581 §4), as
  /// they would on the request.
  public static func response(
    to request: UnsafeRawBufferPointer, head: RawSIPHead, status: Int, reason: String,
    toTag: String?, source: Endpoint?, extraHeaders: [(String, String)] = []
  ) -> [UInt8]? {
    guard let topVia = head.vias.first else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(request.count / 2 + 128)
    out.append(contentsOf: "SIP/2.0 \(status) \(reason)\r\n".utf8)
    for (index, via) in head.vias.enumerated() {
      out.append(contentsOf: "Via: ".utf8)
      if index == 0, let source, via == topVia {
        appendTopVia(&out, Array(request[via]), source: source)
      } else {
        out.append(contentsOf: request[via])
      }
      out.append(contentsOf: "\r\n".utf8)
    }
    if let from = head.from { appendHeader(&out, "From", request[from]) }
    if let to = head.to {
      out.append(contentsOf: "To: ".utf8)
      out.append(contentsOf: request[to])
      if let toTag, !hasTagParameter(request[to]) {
        out.append(contentsOf: ";tag=".utf8)
        out.append(contentsOf: toTag.utf8)
      }
      out.append(contentsOf: "\r\n".utf8)
    }
    if let callID = head.callID { appendHeader(&out, "Call-ID", request[callID]) }
    if let cseq = head.cseq { appendHeader(&out, "CSeq", request[cseq]) }
    for (name, value) in extraHeaders {
      out.append(contentsOf: name.utf8)
      out.append(contentsOf: ": ".utf8)
      out.append(contentsOf: value.utf8)
      out.append(contentsOf: "\r\n".utf8)
    }
    out.append(contentsOf: "Content-Length: 0\r\n\r\n".utf8)
    return out
  }

  private static func appendHeader(
    _ out: inout [UInt8], _ name: StaticString, _ value: UnsafeRawBufferPointer.SubSequence
  ) {
    out.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    out.append(contentsOf: ": ".utf8)
    out.append(contentsOf: value)
    out.append(contentsOf: "\r\n".utf8)
  }

  /// Whether a To/From value carries a `tag` header parameter (after the
  /// closing `>` of a name-addr, or anywhere in an addr-spec's parameters).
  static func hasTagParameter(_ value: UnsafeRawBufferPointer.SubSequence) -> Bool {
    let bytes = Array(value)
    var start = 0
    if let close = bytes.lastIndex(of: UInt8(ascii: ">")) { start = close + 1 }
    let lower = bytes[start...].map { $0 | ($0 >= 65 && $0 <= 90 ? 0x20 : 0) }
    let needle = Array(";tag=".utf8)
    guard lower.count >= needle.count else { return false }
    var index = lower.startIndex
    while index + needle.count <= lower.endIndex {
      var spaced = index
      if lower[spaced] == needle[0] {
        spaced += 1
        while spaced < lower.endIndex, lower[spaced] == 32 { spaced += 1 }
        if lower[spaced...].starts(with: needle.dropFirst(1)) { return true }
      }
      index += 1
    }
    return false
  }

  /// The top Via value with `received` and `rport` set from the source. Only
  /// the first via-parm of a comma-separated value is changed.
  private static func appendTopVia(_ out: inout [UInt8], _ via: [UInt8], source: Endpoint) {
    var firstEnd = via.count
    var quoted = false
    for (index, byte) in via.enumerated() {
      if byte == UInt8(ascii: "\"") { quoted.toggle() }
      if !quoted, byte == UInt8(ascii: ",") {
        firstEnd = index
        break
      }
    }
    ViaParameters.appendWithSource(via[..<firstEnd], source: source, to: &out)
    out.append(contentsOf: via[firstEnd...])
  }
}

/// Byte-level `received`/`rport` handling for one via-parm (RFC 3581): the
/// value of `rport` becomes the source port, `received` the source address,
/// and a `received` is added when the sent-by host is not the source's or
/// when `rport` is there (RFC 3581 §4: even if the host is the same).
enum ViaParameters {
  static func appendWithSource(_ viaParm: ArraySlice<UInt8>, source: Endpoint, to out: inout [UInt8]) {
    let semicolon = UInt8(ascii: ";")
    var hasReceived = false
    var hasRport = false
    let firstEnd = viaParm.firstIndex(of: semicolon) ?? viaParm.endIndex
    let sentByHost = host(ofSentProtocolAndSentBy: viaParm[..<firstEnd])
    // Unchanged stretches are copied whole: the work is one pass over the
    // value however many parameters it has.
    var copied = viaParm.startIndex
    var start = firstEnd + 1
    while start <= viaParm.endIndex {
      let end = viaParm[start...].firstIndex(of: semicolon) ?? viaParm.endIndex
      let part = viaParm[start..<end]
      let kind = name(of: part)
      if kind != .other {
        out.append(contentsOf: viaParm[copied..<start])
        if kind == .rport {
          hasRport = true
          out.append(contentsOf: "rport=".utf8)
          out.append(contentsOf: String(source.port).utf8)
        } else {
          out.append(contentsOf: "received=".utf8)
          out.append(contentsOf: source.host.utf8)
          hasReceived = true
        }
        copied = end
      }
      start = end + 1
    }
    out.append(contentsOf: viaParm[copied...])
    if !hasReceived, hasRport || !sentByHost.elementsEqual(source.host.utf8) {
      out.append(contentsOf: ";received=".utf8)
      out.append(contentsOf: source.host.utf8)
    }
  }

  private enum Name { case rport, received, other }

  /// The parameter's name, trimmed, compared without case.
  private static func name(of part: ArraySlice<UInt8>) -> Name {
    // Most parameters are neither: no need to look past their first letter.
    guard let letter = part.first(where: { $0 != 32 && $0 != 9 }), letter | 0x20 == UInt8(ascii: "r") else {
      return .other
    }
    var name = part.prefix { $0 != UInt8(ascii: "=") }[...]
    while let byte = name.first, byte == 32 || byte == 9 { name = name.dropFirst() }
    while let byte = name.last, byte == 32 || byte == 9 { name = name.dropLast() }
    if equalsLowercased(name, "rport") { return .rport }
    if equalsLowercased(name, "received") { return .received }
    return .other
  }

  private static func equalsLowercased(_ bytes: ArraySlice<UInt8>, _ word: StaticString) -> Bool {
    guard bytes.count == word.utf8CodeUnitCount else { return false }
    let expected = word.utf8Start
    for (offset, byte) in bytes.enumerated() where byte | 0x20 != expected[offset] { return false }
    return true
  }

  /// The host of `SIP/2.0/UDP host:port` (brackets and port removed).
  private static func host(ofSentProtocolAndSentBy part: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var trimmed = part
    while let byte = trimmed.last, byte == 32 || byte == 9 { trimmed = trimmed.dropLast() }
    let sentBy = trimmed.lastIndex(where: { $0 == 32 || $0 == 9 }).map { trimmed[($0 + 1)...] } ?? trimmed
    if sentBy.first == UInt8(ascii: "[") {
      return sentBy.dropFirst().prefix { $0 != UInt8(ascii: "]") }
    }
    return sentBy.prefix { $0 != UInt8(ascii: ":") }
  }
}
