import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPCore

/// The SIP transport layer (RFC 3261 §18): UDP and TCP listeners, stream framing,
/// connection reuse. It moves whole messages as bytes; parsing is the layer above.
///
/// - UDP listeners live on `udpLoop`: datagrams are delivered on it, and a `send`
///   called on it writes without a thread hop.
/// - TCP connections live on `group`; their frames are delivered on their loop.
/// - Responses go back over the connection their request came on: connections are
///   kept by remote endpoint, both accepted and opened ones, and reused for sends.
///
/// Every method may be called from any thread.
public final class SIPTransportLayer: Sendable {
  let group: any EventLoopGroup
  let environment: TransportEnvironment
  private let udp: UDPSender
  let admission: StreamAdmission
  /// The TLS contexts (reloaded through it); `nil` refuses `tls:` listeners.
  public let tls: TLSContextStore?
  private let onSendFailure: @Sendable (Endpoint) -> Void
  private let onListenerClosed: @Sendable (Endpoint) -> Void
  let state = NIOLockedValueBox(State())

  var logger: Logger { self.environment.logger }
  var configuration: TransportConfiguration { self.environment.configuration }

  struct State {
    var isShutDown = false
    var listeners: [(endpoint: Endpoint, channel: any Channel)] = []
    /// Stream connections by remote endpoint, accepted or opened.
    var connections: [Endpoint: StreamConnection] = [:]
  }

  enum StreamConnection {
    /// A connect attempt; sends wait for it.
    case connecting(EventLoopFuture<any Channel>)
    case ready(any Channel)
  }

  /// - Parameters:
  ///   - group: The event loops for TCP connections.
  ///   - udpLoop: The event loop of the UDP listeners (the proxy core's loop).
  ///   - onMessage: Called for every inbound message, on the loop that read it.
  ///   - onSendFailure: Called once for each `send` whose bytes could not be handed
  ///     to a socket (no connection could be made, the write failed, no listener of
  ///     the destination's family). Never called from inside `send`; it runs on an
  ///     event loop thread.
  ///   - onListenerClosed: Called once for each listener that closes while the
  ///     layer is not shutting down (the listener is gone: the process should
  ///     fail its health check and exit, so that it is restarted).
  public init(
    group: any EventLoopGroup, udpLoop: any EventLoop, configuration: TransportConfiguration = .init(),
    logger: Logger, onMessage: @escaping @Sendable (InboundMessage) -> Void,
    onSendFailure: @escaping @Sendable (Endpoint) -> Void,
    onListenerClosed: @escaping @Sendable (Endpoint) -> Void = { _ in },
    tls: TLSContextStore? = nil
  ) {
    self.group = group
    self.tls = tls
    let environment = TransportEnvironment(
      configuration: configuration, logger: logger, onMessage: onMessage)
    self.environment = environment
    self.udp = UDPSender(loop: udpLoop) { report in
      Self.count(report, environment: environment, onSendFailure: onSendFailure)
    }
    self.admission = StreamAdmission(
      maxTotal: configuration.tcpMaxConnections, maxPerSource: configuration.tcpMaxConnectionsPerSource)
    self.onSendFailure = onSendFailure
    self.onListenerClosed = onListenerClosed
  }

  /// A snapshot of the counters.
  public var counters: TransportCounters {
    self.environment.counters.withLockedValue { $0 }
  }

  // MARK: - Listeners

  /// Binds UDP and TCP listeners (IPv4 and IPv6, hosts as numeric IPs; IPv6
  /// listeners are IPv6-only) and returns the addresses actually bound, in the same
  /// order: port 0 becomes the port the kernel chose. All or nothing: if one fails,
  /// those bound by this call are closed and the error names the failing address.
  /// The first UDP listener of each address family is the source of UDP sends.
  public func bind(_ listeners: [Endpoint]) async throws -> [Endpoint] {
    var bound: [(requested: Endpoint, channel: any Channel, outbox: DatagramOutbox?)] = []
    do {
      for endpoint in listeners {
        let (channel, outbox) = try await self.bindListener(endpoint)
        bound.append((endpoint, channel, outbox))
      }
      try self.state.withLockedValue { state in
        guard !state.isShutDown else { throw TransportError.shutDown }
        state.listeners += bound.map { requested, channel, _ in
          (Endpoint(channel.localAddress, transport: requested.transport) ?? requested, channel)
        }
      }
    } catch {
      for (_, channel, _) in bound { try? await channel.close() }
      throw error
    }
    for (requested, channel, _) in bound {
      let local = Endpoint(channel.localAddress, transport: requested.transport) ?? requested
      self.logger.info("SIP listener bound", metadata: ["listener": "\(local)"])
      channel.closeFuture.whenComplete { [self] _ in self.listenerClosed(local) }
    }
    self.checkOpenFileLimit(streamListeners: bound.count { $0.requested.transport != .udp })
    let outboxes = bound.compactMap { requested, _, outbox in outbox.map { ($0, requested.isIPv6) } }
    if !outboxes.isEmpty {
      // An outbox not taken (a second listener of a family) closes its descriptor.
      try? await self.udp.loop.submit { [udp] in
        for (outbox, isIPv6) in outboxes { _ = udp.add(outbox, isIPv6: isIPv6) }
      }.get()
    }
    return bound.map { requested, channel, _ in
      Endpoint(channel.localAddress, transport: requested.transport) ?? requested
    }
  }

  /// The connection cap is worth little above the file descriptor limit: say so.
  private func checkOpenFileLimit(streamListeners: Int) {
    guard streamListeners > 0, let limit = AcceptErrorHandler.openFileLimit() else { return }
    let needed = self.configuration.tcpMaxConnections + 256
    if limit < needed {
      self.logger.notice(
        "open file limit below the TCP connection cap; raise LimitNOFILE or lower sip.tcp_max_connections",
        metadata: ["limit": "\(limit)", "tcp_max_connections": "\(self.configuration.tcpMaxConnections)"])
    }
  }

  /// A listener's channel closed: expected during shutdown, an outage otherwise.
  private func listenerClosed(_ local: Endpoint) {
    let expected = self.state.withLockedValue { $0.isShutDown }
    guard !expected else { return }
    self.environment.count { $0.listenersClosed += 1 }
    self.logger.error(
      "SIP listener closed unexpectedly; this transport no longer receives",
      metadata: ["listener": "\(local)"])
    self.onListenerClosed(local)
  }

  /// Closes the listener bound to `local` as if the socket had failed (for tests
  /// of what follows an unexpected close). Returns whether there was one.
  @_spi(Testing) public func closeListenerForTesting(_ local: Endpoint) async -> Bool {
    let channel = self.state.withLockedValue { state in
      state.listeners.first { $0.endpoint == local }?.channel
    }
    guard let channel else { return false }
    try? await channel.close()
    return true
  }

  private func bindListener(_ endpoint: Endpoint) async throws -> (any Channel, DatagramOutbox?) {
    guard endpoint.transport != .tls || self.tls?.server != nil else {
      throw TransportError.tlsNotConfigured(endpoint)
    }
    guard let address = endpoint.socketAddress else { throw TransportError.invalidAddress(endpoint) }
    do {
      switch endpoint.transport {
      case .udp:
        let (channel, outbox) = try await UDPListener.bind(
          address, isIPv6: endpoint.isIPv6, loop: self.udp.loop, environment: self.environment)
        return (channel, outbox)
      case .tcp, .tls:
        return (try await self.bindTCP(address, isIPv6: endpoint.isIPv6, transport: endpoint.transport), nil)
      }
    } catch {
      throw TransportError.bindFailed(endpoint, underlying: error)
    }
  }

  // MARK: - Sending

  /// Sends one message's bytes. Never blocks and never throws: a failure comes back
  /// through `onSendFailure`.
  ///
  /// - UDP: out of the listener socket of the destination's address family.
  /// - TCP: over the connection to that remote endpoint, accepted or opened; if
  ///   there is none, one is opened (the bytes wait for it, and concurrent sends
  ///   share the attempt) and kept for later sends.
  /// - TLS: as TCP, over TLS; the server's certificate must be valid for the
  ///   destination's address (or `serverName`).
  ///
  /// The destination host must be a numeric IP address.
  public func send(_ bytes: ByteBuffer, to destination: Endpoint) {
    switch destination.transport {
    case .udp:
      if self.udp.loop.inEventLoop {
        self.sendDatagram(bytes, to: destination)
      } else {
        self.udp.loop.execute { self.sendDatagram(bytes, to: destination) }
      }
    case .tcp, .tls:
      self.sendOnStream(bytes, to: destination)
    }
  }

  private func sendDatagram(_ bytes: ByteBuffer, to destination: Endpoint) {
    switch self.udp.send(bytes, to: destination) {
    case .queued:
      break
    case .refused(let reason):
      self.refuseDestination(destination, reason: reason)
    case .unsendable:
      self.reportSendFailure(
        destination, reason: "no UDP listener for the address family, no numeric address, or too large")
    }
  }

  /// Counts what a flush of the UDP outboxes did and reports the refused datagrams.
  private static func count(
    _ report: UDPFlushReport, environment: TransportEnvironment, onSendFailure: (Endpoint) -> Void
  ) {
    environment.count {
      $0.datagramsSent += report.sent
      $0.datagramsDropped += report.dropped
      $0.sendFailures += report.failed.count
    }
    for (destination, code) in report.failed {
      environment.logger.debug(
        "UDP send refused by the kernel",
        metadata: ["peer": "\(destination)", "error": "\(SocketCallError(call: "sendmmsg", code: code))"])
      onSendFailure(destination)
    }
  }

  /// A destination that cannot be a peer: counted, and reported as a send failure.
  private func refuseDestination(_ destination: Endpoint, reason: UnusableDestination) {
    self.environment.count { $0.destinationsRefused += 1 }
    self.reportSendFailure(destination, reason: "destination refused: \(reason)")
  }

  private enum StreamSendAction {
    case write(any Channel)
    case wait(EventLoopFuture<any Channel>)
    case connect(EventLoopPromise<any Channel>)
    case fail
    case refuse
  }

  private func sendOnStream(_ bytes: ByteBuffer, to destination: Endpoint) {
    let action = self.state.withLockedValue { state -> StreamSendAction in
      guard !state.isShutDown else { return .fail }
      switch state.connections[destination] {
      case .ready(let channel):
        return .write(channel)
      case .connecting(let future):
        return .wait(future)
      case nil:
        guard UnusableDestination.check(destination) == nil else { return .refuse }
        let promise = self.group.next().makePromise(of: (any Channel).self)
        state.connections[destination] = .connecting(promise.futureResult)
        return .connect(promise)
      }
    }
    switch action {
    case .write(let channel):
      self.write(bytes, on: channel, to: destination)
    case .wait(let future):
      self.writeWhenConnected(bytes, future, to: destination)
    case .connect(let promise):
      self.writeWhenConnected(bytes, promise.futureResult, to: destination)
      self.connect(to: destination, promise: promise)
    case .fail:
      self.reportSendFailure(destination, reason: "transport layer shut down")
    case .refuse:
      self.refuseDestination(destination, reason: UnusableDestination.check(destination) ?? .unspecified)
    }
  }

  private func writeWhenConnected(
    _ bytes: ByteBuffer, _ connection: EventLoopFuture<any Channel>, to destination: Endpoint
  ) {
    connection.whenComplete { [self] result in
      switch result {
      case .success(let channel): self.write(bytes, on: channel, to: destination)
      case .failure: self.countSendFailure(destination)
      }
    }
  }

  private func write(_ bytes: ByteBuffer, on channel: any Channel, to destination: Endpoint) {
    channel.writeAndFlush(bytes).whenComplete { [self] result in
      switch result {
      case .success:
        self.environment.count { $0.framesSent += 1 }
      case .failure(let error):
        self.logger.debug(
          "SIP stream write failed", metadata: ["peer": "\(destination)", "error": "\(error)"])
        self.countSendFailure(destination)
      }
    }
  }

  /// Opens a stream connection and completes `promise` with it once it is ready and
  /// registered (or with the error).
  private func connect(to destination: Endpoint, promise: EventLoopPromise<any Channel>) {
    guard let address = destination.socketAddress else {
      self.connectFailed(destination, promise: promise, error: TransportError.invalidAddress(destination))
      return
    }
    ClientBootstrap(group: promise.futureResult.eventLoop)
      .connectTimeout(.milliseconds(self.configuration.tcpConnectTimeoutMs))
      .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
      .channelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          try self.addStreamHandlers(
            to: channel, transport: destination.transport, tlsPeer: (.client, destination, destination.host))
        }
      }
      .connect(to: address)
      .whenComplete { [self] result in
        switch result {
        case .success(let channel):
          self.connected(channel, to: destination, promise: promise)
        case .failure(let error):
          self.connectFailed(destination, promise: promise, error: error)
        }
      }
  }

  private func connected(
    _ channel: any Channel, to destination: Endpoint, promise: EventLoopPromise<any Channel>
  ) {
    self.environment.count { $0.tcpConnectionsConnected += 1 }
    let isOurs = self.state.withLockedValue { state -> Bool in
      guard !state.isShutDown else { return false }
      if case .connecting(let future) = state.connections[destination], future === promise.futureResult {
        return true
      }
      return false
    }
    guard isOurs else {
      // Shut down meanwhile, or an accepted connection from that endpoint took the slot.
      if self.state.withLockedValue({ $0.isShutDown }) {
        channel.close(promise: nil)
        promise.fail(TransportError.shutDown)
      } else {
        promise.succeed(channel)
      }
      return
    }
    self.logger.debug("SIP stream connection opened", metadata: ["peer": "\(destination)"])
    self.register(channel, as: destination)
    promise.succeed(channel)
  }

  private func connectFailed(
    _ destination: Endpoint, promise: EventLoopPromise<any Channel>, error: any Error
  ) {
    self.state.withLockedValue { state in
      if case .connecting(let future) = state.connections[destination], future === promise.futureResult {
        state.connections[destination] = nil
      }
    }
    self.logger.notice(
      "SIP stream connect failed", metadata: ["peer": "\(destination)", "error": "\(error)"])
    promise.fail(error)
  }

  /// A failure found inside `send`: reported from the UDP loop, never re-entrantly.
  private func reportSendFailure(_ destination: Endpoint, reason: String) {
    self.logger.debug("SIP send failed", metadata: ["peer": "\(destination)", "reason": "\(reason)"])
    self.udp.loop.execute { self.countSendFailure(destination) }
  }

  private func countSendFailure(_ destination: Endpoint) {
    self.environment.count { $0.sendFailures += 1 }
    self.onSendFailure(destination)
  }

  // MARK: - Shutdown

  /// Closes every listener and connection and waits for them to close. Later sends
  /// fail; later binds throw.
  public func shutdown() async {
    let (channels, attempts) = self.state.withLockedValue { state in
      state.isShutDown = true
      var channels = state.listeners.map(\.channel)
      var attempts: [EventLoopFuture<any Channel>] = []
      for connection in state.connections.values {
        switch connection {
        case .ready(let channel): channels.append(channel)
        case .connecting(let future): attempts.append(future)
        }
      }
      state.listeners = []
      state.connections = [:]
      return (channels, attempts)
    }
    // A connect attempt that completes from now on closes its own channel.
    for attempt in attempts {
      if let channel = try? await attempt.get() { try? await channel.closeFuture.get() }
    }
    for channel in channels {
      channel.close(promise: nil)
      try? await channel.closeFuture.get()
    }
    try? await self.udp.loop.submit { [udp] in udp.removeAll() }.get()
  }
}
