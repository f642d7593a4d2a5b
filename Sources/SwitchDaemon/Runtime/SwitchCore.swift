import Logging
import NIOCore
import Proxy
import SIPCore
import SIPTransport

/// Everything that lives on the core event loop: the inbound decoder and the
/// proxy core. Only ever touched on `loop`.
final class SwitchCore {
  let loop: any EventLoop
  let proxy: ProxyCore
  private let decoder: InboundDecoder
  private let transport: SIPTransportLayer
  private let logger: Logger
  private(set) var malformed = 0
  private(set) var dropped = 0

  init(
    loop: any EventLoop, proxy: ProxyCore, decoder: InboundDecoder, transport: SIPTransportLayer,
    logger: Logger
  ) {
    self.loop = loop
    self.proxy = proxy
    self.decoder = decoder
    self.transport = transport
    self.logger = logger
  }

  /// Wall-clock nanoseconds spent handling messages and timers, and the
  /// bytes of the messages handled, since the last `takeWork()` (for the
  /// load probe: the busy share and the rate the loop drains its queue at).
  private var busyNanoseconds: Int64 = 0
  private var handledBytes = 0

  func takeWork() -> (busyNanoseconds: Int64, bytes: Int) {
    defer {
      busyNanoseconds = 0
      handledBytes = 0
    }
    return (busyNanoseconds, handledBytes)
  }

  /// Fires the proxy core's due timers (retransmissions count as work too).
  func tick() {
    let started = LoopLoadProbe.now()
    defer { busyNanoseconds += LoopLoadProbe.now() - started }
    proxy.tick()
  }

  /// One message from the transport layer, on the core loop.
  func receive(_ inbound: InboundMessage) {
    loop.preconditionInEventLoop()
    let started = LoopLoadProbe.now()
    defer { busyNanoseconds += LoopLoadProbe.now() - started }
    handledBytes += inbound.bytes.readableBytes
    let decision = inbound.bytes.withUnsafeReadableBytes {
      decoder.decode($0, isDatagram: inbound.source.transport == .udp, source: inbound.source)
    }
    switch decision {
    case .request(let message), .response(let message):
      proxy.receive(message, from: inbound.source, local: inbound.local)
    case .reject(let status, let reason, let response):
      malformed += 1
      // An unknown source gets no answer past its budget (docs/identification.md).
      guard proxy.mayAnswer(inbound.source) else { return }
      logger.debug(
        "refused request",
        metadata: ["source": "\(inbound.source)", "status": "\(status)", "reason": "\(reason)"])
      transport.send(ByteBuffer(bytes: response), to: Self.responseDestination(inbound.source))
    case .drop(let reason):
      dropped += 1
      logger.debug("dropped message", metadata: ["source": "\(inbound.source)", "reason": "\(reason)"])
    }
  }

  /// The counters and gauges of the core, for the metrics.
  var reading: SwitchReading.Core {
    loop.preconditionInEventLoop()
    return SwitchReading.Core(
      counters: proxy.counters, malformed: malformed, dropped: dropped, transactions: proxy.transactionCount,
      dialogs: proxy.dialogCount, registeredContacts: proxy.registrar?.bindingCount ?? 0,
      authentication: proxy.registrar?.throttle.counters ?? .init(),
      creditAccounts: proxy.credit?.accountCount ?? 0, draining: proxy.isDraining,
      overload: OverloadReading(proxy.overload))
  }

  /// Refusals go back where the request came from (RFC 3581 behaviour for all:
  /// a malformed request's Via cannot be trusted).
  private static func responseDestination(_ source: Endpoint) -> Endpoint { source }
}
