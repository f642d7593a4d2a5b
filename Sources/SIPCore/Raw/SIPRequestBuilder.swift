/// Builds the requests a proxy's client transaction makes on its own, from
/// the bytes of the INVITE it sent: CANCEL (RFC 3261 §9.1) and the hop-by-hop
/// ACK for a non-2xx final response (§17.1.1.3). Both carry the INVITE's
/// Request-URI, top Via (same branch), From, Call-ID, CSeq number and Route
/// set.
public enum SIPRequestBuilder {
  public static func cancel(forInvite invite: [UInt8]) -> [UInt8]? {
    invite.withUnsafeBytes { bytes in
      let head = RawSIPHead(scanning: bytes)
      guard let to = head.to else { return nil }
      return build("CANCEL", bytes, head, to: Array(bytes[to]))
    }
  }

  /// `response` is the non-2xx final response being acknowledged: its To
  /// (with the tag the UAS chose) goes into the ACK.
  public static func ack(forInvite invite: [UInt8], response: UnsafeRawBufferPointer) -> [UInt8]? {
    let responseHead = RawSIPHead(scanning: response)
    guard let to = responseHead.to else { return nil }
    let toValue = Array(response[to])
    return invite.withUnsafeBytes { bytes in
      build("ACK", bytes, RawSIPHead(scanning: bytes), to: toValue)
    }
  }

  private static func build(
    _ method: String, _ bytes: UnsafeRawBufferPointer, _ head: RawSIPHead, to: [UInt8]
  ) -> [UInt8]? {
    guard let via = head.vias.first, let from = head.from, let callID = head.callID, let cseq = head.cseq,
      let space = bytes[head.startLine].firstIndex(of: 32)
    else { return nil }
    // Request-Line: keep "<Request-URI> SIP/2.0" after the method.
    let requestURIAndVersion = bytes[(space + 1)..<head.startLine.upperBound]
    let cseqNumber = bytes[cseq].prefix { $0 >= 48 && $0 <= 57 }
    var out: [UInt8] = []
    out.reserveCapacity(512)
    out.append(contentsOf: method.utf8)
    out.append(32)
    out.append(contentsOf: requestURIAndVersion)
    out.append(contentsOf: "\r\nVia: ".utf8)
    // Only the first via-parm of the top Via value (ours).
    out.append(contentsOf: bytes[via].prefix { $0 != UInt8(ascii: ",") })
    for route in head.routes {
      out.append(contentsOf: "\r\nRoute: ".utf8)
      out.append(contentsOf: bytes[route])
    }
    out.append(contentsOf: "\r\nMax-Forwards: 70\r\nFrom: ".utf8)
    out.append(contentsOf: bytes[from])
    out.append(contentsOf: "\r\nTo: ".utf8)
    out.append(contentsOf: to)
    out.append(contentsOf: "\r\nCall-ID: ".utf8)
    out.append(contentsOf: bytes[callID])
    out.append(contentsOf: "\r\nCSeq: ".utf8)
    out.append(contentsOf: cseqNumber)
    out.append(32)
    out.append(contentsOf: method.utf8)
    out.append(contentsOf: "\r\nContent-Length: 0\r\n\r\n".utf8)
    return out
  }
}
