import NIOCore

/// Frames a stream connection's bytes with `SIPStreamFrameDecoder` and gives each
/// message a deadline: once the first byte of a message has arrived, the whole
/// message must arrive within `messageTimeout`, or the connection is closed.
///
/// The idle timeout cannot do this: every byte restarts it, so a peer trickling a
/// header one byte a second (slowloris), or declaring a body it never sends, would
/// hold the connection for as long as it liked. Framing errors go down the pipeline
/// as errors (`SIPStreamHandler` closes the connection).
final class SIPStreamFramingHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = SIPStreamFrame

  private var decoder: SIPStreamFrameDecoder
  private let messageTimeout: TimeAmount
  private let onTimeout: (ChannelHandlerContext) -> Void
  /// Bytes read and not framed yet: the start of the next message.
  private var buffer = ByteBuffer()
  private var deadline: Scheduled<Void>?
  private var isClosed = false

  /// - Parameter onTimeout: called (on the loop) just before the connection is closed
  ///   for a missed deadline.
  init(
    maxMessageSize: Int, messageTimeout: TimeAmount,
    onTimeout: @escaping (ChannelHandlerContext) -> Void = { _ in }
  ) {
    self.decoder = SIPStreamFrameDecoder(maxMessageSize: maxMessageSize)
    self.messageTimeout = messageTimeout
    self.onTimeout = onTimeout
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard !self.isClosed else { return }
    var incoming = Self.unwrapInboundIn(data)
    if self.buffer.readableBytes == 0 {
      self.buffer = incoming
    } else {
      self.buffer.writeBuffer(&incoming)
    }
    var framed = false
    do {
      while !self.isClosed, let frame = try self.decoder.decode(buffer: &self.buffer) {
        framed = true
        context.fireChannelRead(Self.wrapInboundOut(frame))
      }
    } catch {
      self.stop()
      context.fireErrorCaught(error)
      return
    }
    guard !self.isClosed else { return }
    if self.buffer.readableBytes == 0 {
      // Between messages: no deadline, and no memory kept.
      self.cancelDeadline()
      self.buffer = ByteBuffer()
    } else if self.deadline == nil || framed {
      // A new message started with this read.
      self.armDeadline(context: context)
      if self.buffer.readerIndex > 0 { self.buffer.discardReadBytes() }
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    self.stop()
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    self.stop()
  }

  private func stop() {
    self.isClosed = true
    self.cancelDeadline()
    self.buffer = ByteBuffer()
  }

  private func cancelDeadline() {
    self.deadline?.cancel()
    self.deadline = nil
  }

  private func armDeadline(context: ChannelHandlerContext) {
    self.deadline?.cancel()
    let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    self.deadline = context.eventLoop.scheduleTask(in: self.messageTimeout) {
      let (handler, context) = bound.value
      guard !handler.isClosed else { return }
      handler.deadline = nil
      handler.onTimeout(context)
      handler.stop()
      context.close(promise: nil)
    }
  }
}
