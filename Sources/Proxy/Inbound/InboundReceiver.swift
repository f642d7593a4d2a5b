import Logging
import SIPCore

/// Where the transport layer's bytes enter the proxy: decodes one inbound
/// message (`InboundDecoder`: framing, the caps, one libosip2 parse, the
/// checks of RFC 3261 §8.2 and §16.3) and hands it to `ProxyCore`, or
/// answers or drops it here and counts it. Like the core, it lives on the
/// core's thread; it opens no socket (refusals leave through the core's
/// `MessageSender`).
public final class InboundReceiver {
  public let proxy: ProxyCore
  private let decoder: InboundDecoder
  public private(set) var counters = InboundCounters()

  public init(proxy: ProxyCore, decoder: InboundDecoder) {
    self.proxy = proxy
    self.decoder = decoder
  }

  /// One message as it arrived: a whole UDP datagram or one Content-Length
  /// delimited frame of a stream, from `source` to the listener at `local`.
  /// `bytes` are only borrowed for the call.
  public func receive(_ bytes: UnsafeRawBufferPointer, from source: Endpoint, local: Endpoint) {
    if proxy.absorbsStatelessAck(bytes) { return }
    switch decoder.decode(bytes, isDatagram: source.transport == .udp, source: source) {
    case .request(let message), .response(let message):
      proxy.receive(message, from: source, local: local)
    case .reject(let status, let reason, let response):
      counters.malformed += 1
      // An unknown source gets no answer past its budget (docs/identification.md).
      guard proxy.mayAnswer(source) else { return }
      proxy.logger.debug(
        "refused request", metadata: ["source": "\(source)", "status": "\(status)", "reason": "\(reason)"])
      // Back where the request came from (RFC 3581 behaviour for all: a
      // malformed request's Via cannot be trusted).
      proxy.sender.send(.bytes(response), to: source)
    case .drop(let reason):
      counters.dropped += 1
      proxy.logger.debug("dropped message", metadata: ["source": "\(source)", "reason": "\(reason)"])
    }
  }

  /// A request that may start a call (`NewCallSniff`), once its turn in the
  /// core's new-call queue came: a new INVITE that the loop's load sheds
  /// gets its 503 from its bytes (`ProxyCore.answerStatelessly`); anything
  /// else is received as usual.
  public func receiveNewCall(_ bytes: UnsafeRawBufferPointer, from source: Endpoint, local: Endpoint) {
    if proxy.answerStatelessly(bytes, from: source) { return }
    receive(bytes, from: source, local: local)
  }
}
