import SIPCore
import SIPTransaction

/// The stateless 503 (docs/overload.md, "Stateless 503"). While the loop's
/// load limits new calls, most new INVITEs are shed; through the full path
/// each cost a libosip2 parse, a server transaction kept for Timers G, H and
/// I, and a second parse for its ACK: about a sixth of an admitted call's
/// work, which at five times the switch's capacity was most of its load. A
/// shed INVITE from a known source is answered here from its bytes instead,
/// as a stateless proxy answers (RFC 3261 §16.11), and the ACK of that 503
/// is recognised by its To tag and absorbed (`StatelessReplyTag`).
extension ProxyCore {
  /// Answers `bytes`, a new INVITE from `source`, with a 503 and Retry-After
  /// if the loop's load sheds it now. False (nothing done, nothing taken) if
  /// it is not shed, or if it is not a plain new INVITE (no `tag` in its To)
  /// from a known source
  /// whose top Via reads without the parser (and of at most
  /// `statelessMaxBytes`), or if a server transaction here
  /// already has it (a retransmission is that transaction's): the full path
  /// then handles it, with the same admission.
  public func answerStatelessly(_ bytes: UnsafeRawBufferPointer, from source: Endpoint) -> Bool {
    guard overload.isOverloaded, bytes.count <= Self.statelessMaxBytes, NewCallSniff.isInvite(bytes),
      router.knowsSource(source)
    else { return false }
    let head = RawSIPHead(scanning: bytes)
    guard head.from != nil, let to = head.to, !StatelessReplyTag.mayCarryTag(bytes[to]), head.cseq != nil,
      let callID = head.callID,
      let top = head.vias.first, let via = RawTopVia(bytes[top]), let branch = via.branch,
      branch.hasPrefix("z9hG4bK"), branch.utf8.count > 7
    else { return false }
    let destination =
      source.transport.isReliable || via.hasRport
      ? source : Endpoint(transport: .udp, host: source.host, port: via.port ?? 5060)
    guard destination.port != 0,
      transactions.servers[.server(branch: branch, sentBy: via.sentBy, method: "INVITE")] == nil,
      overload.loopShedCause(nowMs: clock.monotonicMs) != nil
    else { return false }
    var headers = [("Retry-After", String(overload.settings.retryAfterSeconds))]
    if !configuration.serverHeader.isEmpty { headers.append(("Server", configuration.serverHeader)) }
    let tag = StatelessReplyTag.make(branch: branch.utf8, callID: bytes[callID])
    guard
      let response = SIPResponseBuilder.response(
        to: bytes, head: head, status: 503, reason: "Service Unavailable", toTag: tag, source: source,
        extraHeaders: headers)
    else { return false }
    overload.notedStatelessReply(nowMs: clock.monotonicMs)
    tally.requestsReceived += 1
    tally.locallyAnswered += 1
    sender.send(.bytes(response), to: destination)
    return true
  }

  /// Whether `bytes` are the ACK of a stateless 503 (then absorbed and
  /// counted). Only looked for while such ACKs may still come.
  public func absorbsStatelessAck(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard overload.acksOfStatelessRepliesExpected, StatelessReplyTag.isAckOfStatelessReply(bytes) else {
      return false
    }
    overload.notedStatelessAck()
    tally.requestsReceived += 1
    return true
  }

  /// Larger INVITEs take the full path, where the decoder's caps refuse
  /// the hostile ones (docs/limits.md) before any answer is built: a 503
  /// built from the bytes copies the Vias and the To, so a 64 KB Via of
  /// 32,000 parameters would cost 0.55 ms and come back as 64 KB.
  static let statelessMaxBytes = 8_192
}
