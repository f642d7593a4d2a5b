import JSON
import NIOCore
import NIOHTTP1

/// One admin API connection: bearer token, route, JSON body (at most 64
/// KiB), then either one JSON answer per request (keep-alive honoured) or,
/// for `GET /v1/events`, a Server-Sent Events stream until either side
/// closes. Lives on the core's loop (the admin listener is bound to it).
final class AdminHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  static let maxBodyBytes = 65_536
  /// A connection that sends no request for this long is closed (an event
  /// stream is not: it only receives).
  static let idleTimeout = TimeAmount.seconds(30)

  private let endpoints: AdminEndpoints
  private let tokens: AdminTokens
  private let events: NIOLoopBound<AdminEvents>
  private var request: HTTPRequestHead?
  private var body: [UInt8] = []
  private var bodyTooLarge = false
  private var subscription: Int?
  private var idleTask: Scheduled<Void>?
  private var counted = false

  init(endpoints: AdminEndpoints, tokens: AdminTokens, events: NIOLoopBound<AdminEvents>) {
    self.endpoints = endpoints
    self.tokens = tokens
    self.events = events
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      idleTask?.cancel()
      idleTask = nil
      request = head
      body = []
      bodyTooLarge = false
    case .body(var buffer):
      if body.count + buffer.readableBytes > Self.maxBodyBytes {
        bodyTooLarge = true
      } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
        body += bytes
      }
    case .end:
      guard let head = request, subscription == nil else { return }
      request = nil
      handle(head, context: context)
    }
  }

  private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
    guard let name = tokens.name(authorization: head.headers.first(name: "authorization")) else {
      return write(
        .error(401, "missing or wrong bearer token (admin.token_file)"), for: head, context: context)
    }
    let route: AdminRoute
    do {
      route = try AdminRoute(method: head.method.rawValue, target: head.uri)
    } catch {
      return write(.error(error.status, error.message, allow: error.allow), for: head, context: context)
    }
    if bodyTooLarge { return write(.error(413, "body over 64 KiB"), for: head, context: context) }
    var json: JSONValue?
    if body.contains(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) {
      do {
        json = try JSONParser.parse(body)
      } catch {
        return write(.error(400, "invalid JSON: \(error)"), for: head, context: context)
      }
      guard case .object = json else {
        return write(.error(400, "the body must be a JSON object"), for: head, context: context)
      }
    }
    let source = context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
    if case .events(let filter) = route { return stream(filter, head: head, context: context) }
    let loopBound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
    endpoints.answer(route, body: json, who: "\(name)@\(source)").hop(to: context.eventLoop).whenComplete {
      let (context, handler) = loopBound.value
      handler.write((try? $0.get()) ?? .error(503, "not available"), for: head, context: context)
    }
  }

  /// `GET /v1/events`: 200 and a stream, or 503 past the subscriber cap.
  private func stream(_ filter: CallEventFilter, head: HTTPRequestHead, context: ChannelHandlerContext) {
    let loopBound = NIOLoopBound((context, self), eventLoop: context.eventLoop)
    let events = self.events.value
    guard events.isReady else {
      return write(.error(503, "the switch is starting"), for: head, context: context)
    }
    let subscribed = events.subscribe(
      filter,
      send: { text in
        let (context, handler) = loopBound.value
        guard let id = handler.subscription else { return }
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer)))).whenComplete { _ in
          loopBound.value.1.events.value.hub.delivered(id)
        }
      },
      close: { loopBound.value.0.close(promise: nil) })
    guard let id = subscribed else {
      return write(
        .error(503, "too many event subscribers (admin.max_event_subscribers)"), for: head, context: context)
    }
    subscription = id
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: "text/event-stream")
    headers.add(name: "Cache-Control", value: "no-cache")
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))),
      promise: nil)
    var hello = context.channel.allocator.buffer(capacity: 16)
    hello.writeString(": subscribed\n\n")
    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(hello))), promise: nil)
  }

  /// Past `AdminEvents.maxConnections` a connection is closed at once;
  /// otherwise it has `idleTimeout` to send a request.
  func channelActive(context: ChannelHandlerContext) {
    let events = self.events.value
    guard events.connections < events.maxConnections else {
      context.close(promise: nil)
      return
    }
    events.connections += 1
    counted = true
    armIdleTimer(context)
    context.fireChannelActive()
  }

  private func armIdleTimer(_ context: ChannelHandlerContext) {
    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
    idleTask = context.eventLoop.scheduleTask(in: Self.idleTimeout) { loopBound.value.close(promise: nil) }
  }

  func channelInactive(context: ChannelHandlerContext) {
    idleTask?.cancel()
    if counted {
      counted = false
      events.value.connections -= 1
    }
    if let id = subscription {
      subscription = nil
      events.value.unsubscribe(id)
    }
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }

  private func write(_ answer: AdminAnswer, for head: HTTPRequestHead, context: ChannelHandlerContext) {
    let text = answer.body.serialized + "\n"
    var body = context.channel.allocator.buffer(capacity: text.utf8.count)
    body.writeString(text)
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: "application/json")
    headers.add(name: "Content-Length", value: "\(body.readableBytes)")
    if answer.status == 401 {
      headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"didtron-switch\"")
    }
    if let allow = answer.allow { headers.add(name: "Allow", value: allow) }
    let keepAlive = head.isKeepAlive && !bodyTooLarge
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    let status = HTTPResponseStatus(statusCode: answer.status)
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
      promise: nil)
    if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
      if !keepAlive { loopBound.value.close(promise: nil) }
    }
    if keepAlive { armIdleTimer(context) }
  }
}
