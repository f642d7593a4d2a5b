import NIOCore
import SIPCore

/// The top of a stream connection's pipeline: delivers frames, answers keepalive
/// pings, and closes the connection on framing errors and when idle.
final class SIPStreamHandler: ChannelInboundHandler {
  typealias InboundIn = SIPStreamFrame
  typealias OutboundOut = ByteBuffer

  private let environment: TransportEnvironment
  private let transport: TransportKind
  private var source: Endpoint
  private var local: Endpoint
  private var failed = false

  init(environment: TransportEnvironment, transport: TransportKind) {
    self.environment = environment
    self.transport = transport
    self.source = Endpoint(transport: transport, host: "", port: 0)
    self.local = self.source
  }

  func handlerAdded(context: ChannelHandlerContext) {
    self.updateAddresses(context.channel)
  }

  func channelActive(context: ChannelHandlerContext) {
    self.updateAddresses(context.channel)
    context.fireChannelActive()
  }

  private func updateAddresses(_ channel: any Channel) {
    if let source = Endpoint(channel.remoteAddress, transport: self.transport) { self.source = source }
    if let local = Endpoint(channel.localAddress, transport: self.transport) { self.local = local }
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch Self.unwrapInboundIn(data) {
    case .message(let bytes):
      self.environment.count { $0.framesReceived += 1 }
      self.environment.onMessage(InboundMessage(bytes: bytes, source: self.source, local: self.local))
    case .keepalive:
      // RFC 5626 §3.5.1: a double-CRLF ping is answered with a single-CRLF pong.
      self.environment.count { $0.keepalivesAnswered += 1 }
      var pong = context.channel.allocator.buffer(capacity: 2)
      pong.writeStaticString("\r\n")
      context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    guard !self.failed else { return }
    self.failed = true
    if let framingError = error as? SIPStreamFramingError {
      self.environment.count { $0.framingErrors += 1 }
      self.environment.logger.notice(
        "closing SIP stream connection: unrecoverable framing error",
        metadata: ["peer": "\(self.source)", "error": "\(framingError)"])
    } else {
      self.environment.logger.debug(
        "closing SIP stream connection after error",
        metadata: ["peer": "\(self.source)", "error": "\(error)"])
    }
    context.close(promise: nil)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      self.environment.logger.debug(
        "closing idle SIP stream connection", metadata: ["peer": "\(self.source)"])
      context.close(promise: nil)
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }
}
