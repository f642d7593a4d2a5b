import NIOCore
import SIPCore
import SIPTransport

/// One fuzz input through the message layer as the daemon uses it: the
/// stream frame decoder (the input cut into chunks as TCP might deliver it),
/// then every frame, and the input as one datagram, through
/// `InboundDecoder`; each message passed on is read with the accessors the
/// proxy core uses, edited as a proxy edits it, serialized, and parsed again.
enum FuzzTarget {
  static let source = Endpoint(transport: .udp, host: "192.0.2.7", port: 5062)
  static let decoder = InboundDecoder()

  static func run(_ input: UnsafeRawBufferPointer) {
    overloadReaders(input)
    decode(input, isDatagram: true)
    forEachStreamFrame(input) { frame in
      frame.withUnsafeReadableBytes { decode($0, isDatagram: false) }
    }
  }

  static func decode(_ bytes: UnsafeRawBufferPointer, isDatagram: Bool, depth: Int = 0) {
    guard depth < 2 else { return }
    switch decoder.decode(bytes, isDatagram: isDatagram, source: source) {
    case .request(let message):
      readAndEdit(message, isRequest: true)
    case .response(let message):
      readAndEdit(message, isRequest: false)
    case .reject(_, _, let response):
      // A locally built response must itself be a message the decoder reads
      // (which drops it when it copies a request's over-the-caps Via).
      response.withUnsafeBytes { decode($0, isDatagram: true, depth: depth + 1) }
    case .drop:
      break
    }
  }

  /// What `ProxyCore` reads and writes; the results are summed so that nothing is optimized away.
  static func readAndEdit(_ message: SIPMessage, isRequest: Bool) {
    var sink = message.viaCount + message.routeCount + message.recordRouteCount + message.bodyCount
    sink &+= message.vias.count + (message.topVia?.sentBy.count ?? 0) + (message.via(at: 1)?.host.count ?? 0)
    sink &+=
      (message.callID?.count ?? 0) + Int(message.cseq?.number ?? 0) + (message.method?.description.count ?? 0)
    sink &+=
      (message.fromTag?.count ?? 0) + (message.toTag?.count ?? 0) + (message.fromURI?.description.count ?? 0)
    sink &+= (message.toURI?.description.count ?? 0) + (message.requestURI?.description.count ?? 0)
    sink &+= (message.requestURIText?.count ?? 0) + (message.contactURI?.description.count ?? 0)
    // The users read in place (the call record's numbers) are the built URIs' users: a
    // difference is a crash the fuzzer reports.
    precondition(
      message.requestURIUser == message.requestURI?.user && message.fromURIUser == message.fromURI?.user
        && message.toURIUser == message.toURI?.user
        && message.requestURISchemeAndHeaders?.scheme == message.requestURI?.scheme
        && message.requestURISchemeAndHeaders?.hasHeaders == message.requestURI?.hasHeaders,
      "a URI part read in place differs")
    sink &+= message.requestURIIsSIPS ? 1 : 0
    sink &+= (message.contactURIText?.count ?? 0) + (message.remoteTargetText?.count ?? 0)
    sink &+= (message.topRoute?.isLooseRouter == true ? 1 : 0) + (message.recordRoute(at: 0)?.port ?? 0)
    sink &+=
      message.recordRouteValues.count + (message.fromHeaderValue?.count ?? 0)
      + (message.toHeaderValue?.count ?? 0)
    sink &+= (message.maxForwards ?? 0) + message.privacyTokens.count + message.acceptedTypes.count
    sink &+=
      message.headerValues("supported").count + (message.contentType?.count ?? 0)
      + (message.contentLength ?? 0)
    sink &+= (message.fromDisplayName?.count ?? 0) + (message.fromURIText?.count ?? 0)
    for value in message.headerValues("p-asserted-identity") {
      sink &+= SIPMessage.userOfURIHeader(value)?.count ?? 0
    }
    if let body = message.body, let sdp = SessionDescription(bytes: body) {
      sink &+= sdp.bytes.count + sdp.media.count
    }
    message.withOriginalBytes { bytes in
      let head = RawSIPHead(scanning: bytes)
      for contact in head.contacts {
        sink &+= NameAddrValue.list(String(decoding: bytes[contact], as: UTF8.self))?.count ?? 0
      }
      // The stateless 503's transaction key (docs/overload.md) is the full
      // path's: a Via the raw reader reads, it reads as libosip2 does.
      if isRequest, let top = head.vias.first, let raw = RawTopVia(bytes[top]), let via = message.topVia {
        precondition(
          raw.sentBy == via.sentBy && raw.branch == via.branch && raw.hasRport == via.hasRport
            && raw.port == via.port,
          "the raw top Via differs from libosip2's")
      }
    }
    if isRequest {
      message.setTopViaSource(source)
      message.prependVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-fuzz-1")
      message.prependRecordRoute("<sip:192.0.2.1:5060;lr>")
      message.setMaxForwards(max(0, (message.maxForwards ?? 70) - 1))
      message.setRequestURI("sip:15551234@192.0.2.50:5060")
      message.setRequestURIUser("+15551234")
      message.setFrom(user: "anonymous", host: nil, displayName: "A")
      message.setHeader("P-Asserted-Identity", "<sip:+15551234@192.0.2.1>")
      message.removeTopRoute()
      message.replaceBody(Array("v=0\r\n".utf8), contentType: "application/sdp")
    } else {
      message.removeTopVia()
      message.setToTag("fuzz")
      message.setStatus(message.statusCode == 183 ? 180 : message.statusCode, reason: "Fuzz")
    }
    let serialized = message.serialized()
    // Parsed again as the proxy does (failover to a second target): only
    // within the caps, since serializing can escape a URI past them.
    if SIPMessageLimits().admits(serialized), let again = try? SIPMessage.parse(serialized) {
      sink &+= again.viaCount
    }
    if isRequest { sink &+= requestsOfOurOwn(message, serialized) }
    blackHole(sink)
  }

  /// What overload control reads from any datagram before a parse: the
  /// new-call sniff, the ACK of a stateless 503, the top Via.
  static func overloadReaders(_ input: UnsafeRawBufferPointer) {
    var sink = NewCallSniff.mayStartCall(input) ? 1 : 0
    sink &+= StatelessReplyTag.isAckOfStatelessReply(input) ? 1 : 0
    let head = RawSIPHead(scanning: input)
    if let top = head.vias.first, let via = RawTopVia(input[top]) {
      sink &+= via.sentBy.count + (via.branch?.count ?? 0)
    }
    blackHole(sink)
  }

  /// The requests the proxy builds from what it sent and received: CANCEL
  /// and the hop-by-hop ACK from its INVITE's bytes, and an in-dialog BYE
  /// from a message's From, To, Contact and Record-Route. Each must be a
  /// message the decoder passes on.
  static func requestsOfOurOwn(_ message: SIPMessage, _ sent: [UInt8]) -> Int {
    var built: [[UInt8]] = []
    if let cancel = SIPRequestBuilder.cancel(forInvite: sent) { built.append(cancel) }
    let ack = message.withOriginalBytes { SIPRequestBuilder.ack(forInvite: sent, response: $0) }
    if let ack { built.append(ack) }
    built.append(
      SIPDialogRequestBuilder.request(
        method: "BYE", requestURI: message.remoteTargetText ?? "sip:192.0.2.7",
        routeSet: message.recordRouteValues,
        via: "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-fuzz-bye",
        from: message.toHeaderValue ?? "<sip:b@h>;tag=1",
        to: message.fromHeaderValue ?? "<sip:a@h>;tag=2", callID: message.callID ?? "fuzz", cseq: 2,
        extraHeaders: [("Reason", "Q.850;cause=16")]))
    var sink = 0
    for bytes in built {
      bytes.withUnsafeBytes {
        sink &+= decoder.decode($0, isDatagram: true, source: source).isPassedOn ? 1 : 0
      }
    }
    return sink
  }

  /// Hands `body` each frame `SIPStreamFrameDecoder` cuts from `input`
  /// delivered in chunks whose sizes the input's own bytes choose, up to a
  /// framing error. Each frame is used before more bytes are written, as in
  /// a channel pipeline (a slice kept alive would make every write copy the buffer).
  static func forEachStreamFrame(_ input: UnsafeRawBufferPointer, _ body: (ByteBuffer) -> Void) {
    var frameDecoder = SIPStreamFrameDecoder()
    var buffer = ByteBuffer()
    var offset = 0
    while offset < input.count {
      let chunk = min(input.count - offset, 1 + Int(input[offset]) * 4)
      buffer.writeBytes(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + chunk)]))
      offset += chunk
      do {
        while let frame = try frameDecoder.decode(buffer: &buffer) {
          if case .message(let bytes) = frame { body(bytes) }
        }
      } catch {
        return
      }
      buffer.discardReadBytes()
    }
  }

  @inline(never) static func blackHole(_ value: Int) {
    if value == 0x5EED_F00D { print("") }
  }
}

extension InboundDecision {
  fileprivate var isPassedOn: Bool {
    switch self {
    case .request, .response: true
    case .reject, .drop: false
    }
  }
}
