import NIOCore
import SIPCore

/// Delivers each UDP datagram as one message; drops CRLF keepalives.
final class SIPDatagramHandler: ChannelInboundHandler {
  typealias InboundIn = AddressedEnvelope<ByteBuffer>

  private let environment: TransportEnvironment
  private var local = Endpoint(transport: .udp, host: "", port: 0)

  init(environment: TransportEnvironment) {
    self.environment = environment
  }

  func channelActive(context: ChannelHandlerContext) {
    self.local = Endpoint(context.channel.localAddress, transport: .udp) ?? self.local
    context.fireChannelActive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let envelope = Self.unwrapInboundIn(data)
    // RFC 5626 §3.5.1 keepalives (and empty datagrams) carry no message.
    let isKeepalive = envelope.data.readableBytesView.allSatisfy {
      $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n")
    }
    self.environment.count {
      $0.datagramsReceived += 1
      if isKeepalive { $0.datagramKeepalives += 1 }
    }
    guard !isKeepalive, let source = Endpoint(envelope.remoteAddress, transport: .udp) else { return }
    self.environment.onMessage(InboundMessage(bytes: envelope.data, source: source, local: self.local))
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // Non-fatal socket errors (an ICMP port unreachable surfacing as ECONNREFUSED);
    // NIO closes the channel itself on fatal ones.
    self.environment.logger.debug(
      "UDP socket error", metadata: ["local": "\(self.local)", "error": "\(error)"])
  }
}
