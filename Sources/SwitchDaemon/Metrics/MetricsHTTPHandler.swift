import NIOCore
import NIOHTTP1

/// The HTTP side of the metrics listener: one answer per request, from
/// `MetricsEndpoints`, in order, keep-alive honoured. Request bodies are
/// read and ignored.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let endpoints: MetricsEndpoints
  private var request: HTTPRequestHead?

  init(endpoints: MetricsEndpoints) {
    self.endpoints = endpoints
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      request = head
    case .body:
      break
    case .end:
      guard let head = request else { return }
      request = nil
      let loopBound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
      endpoints.answer(method: head.method.rawValue, target: head.uri, on: context.eventLoop)
        .hop(to: context.eventLoop)
        .whenComplete { result in
          let (context, handler) = loopBound.value
          let answer =
            (try? result.get())
            ?? MetricsEndpoints.Answer(status: .serviceUnavailable, body: "not available\n")
          handler.write(answer, for: head, context: context)
        }
    }
  }

  /// A request that is not HTTP: the error handler in front has answered
  /// 400; the connection closes.
  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }

  private func write(
    _ answer: MetricsEndpoints.Answer, for head: HTTPRequestHead, context: ChannelHandlerContext
  ) {
    var body = context.channel.allocator.buffer(capacity: answer.body.utf8.count)
    body.writeString(answer.body)
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: answer.contentType)
    headers.add(name: "Content-Length", value: "\(body.readableBytes)")
    if let allow = answer.allow { headers.add(name: "Allow", value: allow) }
    let keepAlive = head.isKeepAlive
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    let status = HTTPResponseStatus(statusCode: answer.status.rawValue)
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
      promise: nil)
    if head.method != .HEAD {
      context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
    }
    if keepAlive {
      context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    } else {
      let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
      context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
        loopBound.value.close(promise: nil)
      }
    }
  }
}
