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
  private let group: any EventLoopGroup
  private let environment: TransportEnvironment
  private let udp: UDPSender
  private let onSendFailure: @Sendable (Endpoint) -> Void
  private let state = NIOLockedValueBox(State())

  private var logger: Logger { self.environment.logger }
  private var configuration: TransportConfiguration { self.environment.configuration }

  private struct State {
    var isShutDown = false
    var listeners: [any Channel] = []
    /// Stream connections by remote endpoint, accepted or opened.
    var connections: [Endpoint: StreamConnection] = [:]
  }

  private enum StreamConnection {
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
  public init(
    group: any EventLoopGroup, udpLoop: any EventLoop, configuration: TransportConfiguration = .init(),
    logger: Logger, onMessage: @escaping @Sendable (InboundMessage) -> Void,
    onSendFailure: @escaping @Sendable (Endpoint) -> Void
  ) {
    self.group = group
    self.environment = TransportEnvironment(
      configuration: configuration, logger: logger, onMessage: onMessage)
    self.udp = UDPSender(loop: udpLoop)
    self.onSendFailure = onSendFailure
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
    var bound: [(requested: Endpoint, channel: any Channel)] = []
    do {
      for endpoint in listeners {
        bound.append((endpoint, try await self.bindListener(endpoint)))
      }
      try self.state.withLockedValue { state in
        guard !state.isShutDown else { throw TransportError.shutDown }
        state.listeners += bound.map(\.channel)
      }
    } catch {
      for (_, channel) in bound { try? await channel.close() }
      throw error
    }
    for (requested, channel) in bound {
      let local = Endpoint(channel.localAddress, transport: requested.transport) ?? requested
      self.logger.info("SIP listener bound", metadata: ["listener": "\(local)"])
      channel.closeFuture.whenComplete { [self] _ in
        let expected = self.state.withLockedValue { $0.isShutDown }
        if !expected { self.logger.error("SIP listener closed", metadata: ["listener": "\(local)"]) }
      }
    }
    let udpChannels = bound.filter { $0.requested.transport == .udp }
    if !udpChannels.isEmpty {
      try? await self.udp.loop.submit { [udp] in
        for (requested, channel) in udpChannels { udp.add(channel, isIPv6: requested.isIPv6) }
      }.get()
    }
    return bound.map { requested, channel in
      Endpoint(channel.localAddress, transport: requested.transport) ?? requested
    }
  }

  private func bindListener(_ endpoint: Endpoint) async throws -> any Channel {
    guard endpoint.transport != .tls else { throw TransportError.tlsNotSupported(endpoint) }
    guard let address = endpoint.socketAddress else { throw TransportError.invalidAddress(endpoint) }
    let channel: any Channel
    do {
      switch endpoint.transport {
      case .udp: channel = try await self.bindUDP(address, isIPv6: endpoint.isIPv6)
      case .tcp: channel = try await self.bindTCP(address, isIPv6: endpoint.isIPv6)
      case .tls: throw TransportError.tlsNotSupported(endpoint)
      }
    } catch {
      throw TransportError.bindFailed(endpoint, underlying: error)
    }
    return channel
  }

  private func bindUDP(_ address: SocketAddress, isIPv6: Bool) async throws -> any Channel {
    let vectorReadCount = max(1, self.configuration.udpVectorReadCount)
    // recvmmsg splits one receive buffer into `vectorReadCount` equal slots.
    let receiveBufferSize = max(self.configuration.maxMessageSize, 1500) * vectorReadCount
    var bootstrap = DatagramBootstrap(group: self.udp.loop)
      .channelOption(
        ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: receiveBufferSize)
      )
      .channelInitializer { [environment] channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(environment: environment))
        }
      }
    if vectorReadCount > 1 {
      bootstrap = bootstrap.channelOption(
        ChannelOptions.datagramVectorReadMessageCount, value: vectorReadCount)
    }
    if let size = self.configuration.udpReceiveBufferBytes {
      bootstrap = bootstrap.channelOption(
        ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(clamping: size))
    }
    if isIPv6 {
      bootstrap = bootstrap.channelOption(Self.ipv6Only, value: 1)
    }
    let channel = try await bootstrap.bind(to: address).get()
    if let requested = self.configuration.udpReceiveBufferBytes,
      let actual = try? await channel.getOption(ChannelOptions.socketOption(.so_rcvbuf)).get(),
      Int(actual) < requested
    {
      // Linux reports twice the granted size; less than asked means net.core.rmem_max capped it.
      self.logger.notice(
        "UDP receive buffer smaller than configured; raise net.core.rmem_max",
        metadata: ["requested": "\(requested)", "actual": "\(actual)"])
    }
    return channel
  }

  private func bindTCP(_ address: SocketAddress, isIPv6: Bool) async throws -> any Channel {
    var bootstrap = ServerBootstrap(group: self.group)
      .serverChannelOption(ChannelOptions.backlog, value: 256)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          try self.addStreamHandlers(to: channel, transport: .tcp)
          self.environment.count { $0.tcpConnectionsAccepted += 1 }
          if let remote = Endpoint(channel.remoteAddress, transport: .tcp) {
            self.register(channel, as: remote)
          }
        }
      }
    if isIPv6 {
      bootstrap = bootstrap.serverChannelOption(Self.ipv6Only, value: 1)
    }
    return try await bootstrap.bind(to: address).get()
  }

  private static let ipv6Only = ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only)

  /// The pipeline of every stream connection: idle timeout, framing, delivery.
  private func addStreamHandlers(to channel: any Channel, transport: TransportKind) throws {
    let handlers = channel.pipeline.syncOperations
    try handlers.addHandler(IdleStateHandler(allTimeout: .seconds(self.configuration.tcpIdleTimeoutSeconds)))
    try handlers.addHandler(
      ByteToMessageHandler(SIPStreamFrameDecoder(maxMessageSize: self.configuration.maxMessageSize)))
    try handlers.addHandler(SIPStreamHandler(environment: self.environment, transport: transport))
    self.environment.count { $0.tcpConnectionsOpen += 1 }
    channel.closeFuture.whenComplete { [environment] _ in
      environment.count { $0.tcpConnectionsOpen -= 1 }
    }
  }

  // MARK: - Connection table

  /// Makes `channel` the connection for sends to `remote` until it closes.
  private func register(_ channel: any Channel, as remote: Endpoint) {
    let registered = self.state.withLockedValue { state in
      guard !state.isShutDown else { return false }
      state.connections[remote] = .ready(channel)
      return true
    }
    guard registered else {
      channel.close(promise: nil)
      return
    }
    // Added outside the lock: on a closed channel the callback runs at once.
    channel.closeFuture.whenComplete { [self] _ in
      self.state.withLockedValue { state in
        if case .ready(let current) = state.connections[remote], current === channel {
          state.connections[remote] = nil
        }
      }
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
  /// - TLS: not supported yet; reported as a send failure.
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
    case .tcp:
      self.sendOnStream(bytes, to: destination)
    case .tls:
      self.reportSendFailure(destination, reason: "TLS not supported yet")
    }
  }

  private func sendDatagram(_ bytes: ByteBuffer, to destination: Endpoint) {
    if self.udp.send(bytes, to: destination) {
      self.environment.count { $0.datagramsSent += 1 }
    } else {
      self.reportSendFailure(
        destination, reason: "no UDP listener for the address family, no numeric address, or too large")
    }
  }

  private enum StreamSendAction {
    case write(any Channel)
    case wait(EventLoopFuture<any Channel>)
    case connect(EventLoopPromise<any Channel>)
    case fail
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
          try self.addStreamHandlers(to: channel, transport: destination.transport)
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
      var channels = state.listeners
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
