import Policy
import SIPCore

/// The INVITE's SDP offer, parsed on first use: most calls meet no codec
/// policy and never need it.
final class OfferSDP {
  private let invite: SIPMessage
  private var parsed = false
  private var sdp: SessionDescription?

  init(_ invite: SIPMessage) { self.invite = invite }

  var value: SessionDescription? {
    get {
      if !parsed {
        parsed = true
        sdp = invite.body.flatMap { body in
          invite.contentType?.lowercased().hasPrefix("application/sdp") == true
            ? SessionDescription(bytes: body) : nil
        }
      }
      return sdp
    }
    set {
      parsed = true
      sdp = newValue
    }
  }

  /// 6. The ingress interconnect's codec policy on the offer (parsed only
  ///    when there is one): the offer every target starts from, and the body
  ///    sent, are the filtered one.
  @inline(__always)
  func filter(by codecs: CodecPolicy, body: inout MessageEdits.BodyChange?) throws(Refusal) {
    guard !codecs.isEmpty, let sdp = value else { return }
    switch codecs.filterOffer(sdp) {
    case .noCommonCodec(let reason): throw .noCommonCodec(reason: reason)
    case .rewritten(let filtered):
      value = filtered
      body = .replace(filtered.bytes, contentType: "application/sdp")
    case .unchanged: break
    }
  }
}
