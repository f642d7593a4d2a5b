import NIOCore

/// TLS over a stream channel: ciphertext below, plaintext above (RFC 3261 §26.2,
/// RFC 5246 / RFC 8446 records). OpenSSL runs over memory BIOs (`TLSConnection`),
/// so a handshake never blocks the loop: each read feeds what arrived and steps
/// the handshake as far as it goes.
///
/// - Writes made before the handshake finishes wait for it.
/// - A handshake not finished within `handshakeTimeout` closes the connection
///   (slowloris on the handshake).
/// - Closing sends close_notify; the peer's close_notify is answered and closes.
/// - Any TLS error closes this connection only, after firing the error (for the
///   log line) down the pipeline.
final class TLSHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private enum State {
    case idle
    case handshaking
    case active
    case closed
  }

  private let connection: TLSConnection
  private let role: TLSContext.Role
  private let handshakeTimeout: TimeAmount
  private let onHandshake: (TLSHandshakeOutcome) -> Void
  private let onSession: (TLSSession) -> Void
  private var state = State.idle
  private var deadline: Scheduled<Void>?
  private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
  private var pendingFlush = false

  /// - Parameters:
  ///   - onHandshake: called once, on the loop, when the handshake succeeds or fails.
  ///   - onSession: client side: called once as the connection ends, with the
  ///     session to resume on the next connection to that server, if any.
  init(
    connection: TLSConnection, role: TLSContext.Role, handshakeTimeout: TimeAmount,
    onHandshake: @escaping (TLSHandshakeOutcome) -> Void = { _ in },
    onSession: @escaping (TLSSession) -> Void = { _ in }
  ) {
    self.connection = connection
    self.role = role
    self.handshakeTimeout = handshakeTimeout
    self.onHandshake = onHandshake
    self.onSession = onSession
  }

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { self.start(context: context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    self.start(context: context)
    context.fireChannelActive()
  }

  private func start(context: ChannelHandlerContext) {
    guard case .idle = self.state else { return }
    self.state = .handshaking
    let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    self.deadline = context.eventLoop.scheduleTask(in: self.handshakeTimeout) {
      let (handler, context) = bound.value
      handler.deadline = nil
      guard case .handshaking = handler.state else { return }
      handler.fail(context: context, TLSError(.handshakeTimeout, "handshake not finished in time"))
    }
    if self.role == .client { self.stepHandshake(context: context) }
  }

  // MARK: - Inbound

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch self.state {
    case .closed:
      return
    case .idle:
      self.start(context: context)
    case .handshaking, .active:
      break
    }
    self.connection.feed(Self.unwrapInboundIn(data))
    if case .handshaking = self.state { self.stepHandshake(context: context) }
    if case .active = self.state { self.readPlaintext(context: context) }
  }

  private func stepHandshake(context: ChannelHandlerContext) {
    switch self.connection.handshake() {
    case .done:
      self.state = .active
      self.deadline?.cancel()
      self.deadline = nil
      self.flushOutput(context: context)
      self.onHandshake(
        .completed(
          protocolVersion: self.connection.protocolVersion, cipher: self.connection.cipher,
          resumed: self.connection.sessionReused, serverName: self.connection.serverName))
      self.writePending(context: context)
    case .wantRead:
      self.flushOutput(context: context)
    case .closed:
      self.fail(context: context, TLSError(.handshake, "peer closed during the handshake"))
    case .failed(let error):
      self.fail(context: context, error)
    }
  }

  private func readPlaintext(context: ChannelHandlerContext) {
    var buffer = context.channel.allocator.buffer(capacity: 0)
    reading: while case .active = self.state {
      switch self.connection.read(into: &buffer) {
      case .data:
        // One record at a time keeps the buffer at most one record long.
        context.fireChannelRead(Self.wrapInboundOut(buffer))
        buffer = context.channel.allocator.buffer(capacity: 0)
      case .wantRead:
        break reading
      case .closed:
        self.closeAfterPeer(context: context)
        return
      case .failed(let error):
        self.fail(context: context, error)
        return
      }
    }
    // Post-handshake messages (TLS 1.3 tickets, key updates) may need an answer.
    self.flushOutput(context: context)
  }

  func channelInactive(context: ChannelHandlerContext) {
    if case .handshaking = self.state {
      self.onHandshake(.failed(TLSError(.handshake, "connection closed during the handshake")))
    }
    self.stop(ChannelError.ioOnClosedChannel)
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    self.stop(ChannelError.ioOnClosedChannel)
  }

  // MARK: - Outbound

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let plaintext = Self.unwrapOutboundIn(data)
    switch self.state {
    case .idle, .handshaking:
      self.pendingWrites.append((plaintext, promise))
    case .active:
      self.encrypt(plaintext, context: context, promise: promise)
    case .closed:
      promise?.fail(ChannelError.ioOnClosedChannel)
    }
  }

  func flush(context: ChannelHandlerContext) {
    switch self.state {
    case .idle, .handshaking: self.pendingFlush = true
    case .active, .closed: context.flush()
    }
  }

  func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
    guard mode == .all else {
      context.close(mode: mode, promise: promise)
      return
    }
    if case .active = self.state {
      // RFC 8446 §6.1: close_notify; the peer's answer is not awaited.
      self.connection.shutdown()
      self.flushOutput(context: context)
    }
    self.stop(ChannelError.ioOnClosedChannel)
    context.close(mode: mode, promise: promise)
  }

  private func encrypt(
    _ plaintext: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?
  ) {
    switch self.connection.write(plaintext) {
    case .done, .wantRead:
      if let ciphertext = self.connection.drainOutput(allocator: context.channel.allocator) {
        context.write(Self.wrapOutboundOut(ciphertext), promise: promise)
      } else {
        promise?.succeed()
      }
    case .closed:
      promise?.fail(ChannelError.ioOnClosedChannel)
    case .failed(let error):
      promise?.fail(error)
      self.fail(context: context, error)
    }
  }

  private func writePending(context: ChannelHandlerContext) {
    let writes = self.pendingWrites
    self.pendingWrites = []
    for (plaintext, promise) in writes { self.encrypt(plaintext, context: context, promise: promise) }
    if self.pendingFlush || !writes.isEmpty {
      self.pendingFlush = false
      context.flush()
    }
  }

  // MARK: - Ending

  /// Writes and flushes whatever OpenSSL produced (handshake records, alerts).
  private func flushOutput(context: ChannelHandlerContext) {
    guard let ciphertext = self.connection.drainOutput(allocator: context.channel.allocator) else { return }
    context.writeAndFlush(Self.wrapOutboundOut(ciphertext), promise: nil)
  }

  /// The peer sent close_notify: answer it and close.
  private func closeAfterPeer(context: ChannelHandlerContext) {
    self.connection.shutdown()
    self.flushOutput(context: context)
    self.stop(ChannelError.ioOnClosedChannel)
    context.close(promise: nil)
  }

  /// A TLS failure: the alert OpenSSL queued goes out, the error goes down the
  /// pipeline, and the connection closes.
  private func fail(context: ChannelHandlerContext, _ error: TLSError) {
    guard !self.isClosed else { return }
    let wasHandshaking: Bool
    if case .handshaking = self.state { wasHandshaking = true } else { wasHandshaking = false }
    self.flushOutput(context: context)
    // Reported before the waiting writes fail, so the count is there when they do.
    if wasHandshaking { self.onHandshake(.failed(error)) }
    self.stop(error)
    context.fireErrorCaught(error)
    context.close(promise: nil)
  }

  private var isClosed: Bool {
    if case .closed = self.state { return true }
    return false
  }

  private func stop(_ error: any Error) {
    if case .active = self.state, self.role == .client, let session = self.connection.session {
      self.onSession(session)
    }
    self.state = .closed
    self.deadline?.cancel()
    self.deadline = nil
    let writes = self.pendingWrites
    self.pendingWrites = []
    for (_, promise) in writes { promise?.fail(error) }
  }
}

/// How a connection's handshake ended.
enum TLSHandshakeOutcome {
  case completed(protocolVersion: String, cipher: String, resumed: Bool, serverName: String?)
  case failed(TLSError)
}
