import NIOCore

/// The whole pipeline of a connection refused at accept time: it closes the
/// connection as soon as it can and reads nothing.
final class RefusedConnectionHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { context.close(promise: nil) }
  }

  func channelActive(context: ChannelHandlerContext) {
    context.close(promise: nil)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
