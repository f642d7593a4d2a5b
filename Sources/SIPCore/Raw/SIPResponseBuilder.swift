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
    let first = String(decoding: via[..<firstEnd], as: UTF8.self)
    out.append(contentsOf: ViaParameters.withSource(first, source: source).utf8)
    out.append(contentsOf: via[firstEnd...])
  }
}

/// Text-level `received`/`rport` handling for one via-parm (RFC 3581).
enum ViaParameters {
  static func withSource(_ viaParm: String, source: Endpoint) -> String {
    var parts = viaParm.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
    guard !parts.isEmpty else { return viaParm }
    let sentBy = parts[0].split(separator: " ").last.map(String.init) ?? ""
    var host = sentBy
    if host.hasPrefix("[") {
      host = String(host.dropFirst().prefix { $0 != "]" })
    } else if let colon = host.firstIndex(of: ":") {
      host = String(host[..<colon])
    }
    var hasReceived = false
    for index in 1..<max(parts.count, 1) {
      let name = parts[index].split(separator: "=", maxSplits: 1).first?
        .trimmingWhitespace().lowercased()
      if name == "rport" { parts[index] = "rport=\(source.port)" }
      if name == "received" {
        parts[index] = "received=\(source.host)"
        hasReceived = true
      }
    }
    if !hasReceived, host != source.host { parts.append("received=\(source.host)") }
    return parts.joined(separator: ";")
  }
}
