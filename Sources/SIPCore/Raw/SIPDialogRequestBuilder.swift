/// Builds a request the switch sends into a dialog on its own, such as the BYE that ends
/// an answered call at its maximum duration or when its session timer runs out.
public enum SIPDialogRequestBuilder {
  /// An in-dialog request (RFC 3261 §12.2.1.1) as bytes: the Request-URI and Route set
  /// of the side it goes to (the remote target and the route set, already in the order
  /// to send), the given Via, From and To (with their tags), Call-ID and CSeq, then
  /// `extraHeaders` (e.g. `("Reason", "Q.850;cause=16")`) and `Content-Length: 0`.
  ///
  /// Values are written as given; a CR or LF in one becomes a space, so that no value
  /// can start a header line of its own.
  public static func request(
    method: String, requestURI: String, routeSet: [String], via: String, from: String, to: String,
    callID: String, cseq: UInt32, maxForwards: Int = 70, extraHeaders: [(String, String)] = []
  ) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(320 + routeSet.reduce(0) { $0 + $1.utf8.count + 9 })
    append(&out, method)
    out.append(32)
    append(&out, requestURI)
    out.append(contentsOf: " SIP/2.0\r\n".utf8)
    header(&out, "Via", via)
    for route in routeSet { header(&out, "Route", route) }
    header(&out, "Max-Forwards", String(maxForwards))
    header(&out, "From", from)
    header(&out, "To", to)
    header(&out, "Call-ID", callID)
    header(&out, "CSeq", "\(cseq) \(method)")
    for (name, value) in extraHeaders { header(&out, name, value) }
    out.append(contentsOf: "Content-Length: 0\r\n\r\n".utf8)
    return out
  }

  private static func header(_ out: inout [UInt8], _ name: String, _ value: String) {
    append(&out, name)
    out.append(contentsOf: ": ".utf8)
    append(&out, value)
    out.append(contentsOf: "\r\n".utf8)
  }

  private static func append(_ out: inout [UInt8], _ text: String) {
    for byte in text.utf8 {
      out.append(byte == 13 || byte == 10 ? 32 : byte)
    }
  }
}
