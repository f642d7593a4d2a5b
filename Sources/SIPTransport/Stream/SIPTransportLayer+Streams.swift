import Logging
import NIOCore
import NIOPosix
import SIPCore

/// The stream side of the transport layer: TCP listeners, admission of accepted
/// connections (caps), the pipeline of every connection, and the connection table.
extension SIPTransportLayer {
  /// Binds a stream listener: TCP, or TLS over TCP.
  func bindTCP(_ address: SocketAddress, isIPv6: Bool, transport: TransportKind) async throws -> any Channel {
    var bootstrap = ServerBootstrap(group: self.group)
      .serverChannelOption(ChannelOptions.backlog, value: 256)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .serverChannelInitializer { [environment] channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            AcceptErrorHandler(environment: environment, listener: "\(transport.rawValue):\(address)"))
        }
      }
      .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          guard let remote = Endpoint(channel.remoteAddress, transport: transport) else {
            try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
            return
          }
          if let refusal = self.admission.admit(remote.host) {
            self.refuse(channel, from: remote, refusal)
            return
          }
          channel.closeFuture.whenComplete { [admission] _ in admission.release(remote.host) }
          try self.addStreamHandlers(to: channel, transport: transport, tlsPeer: (.server, remote, nil))
          self.environment.count { $0.tcpConnectionsAccepted += 1 }
          self.register(channel, as: remote)
        }
      }
    if isIPv6 {
      bootstrap = bootstrap.serverChannelOption(Self.ipv6Only, value: 1)
    }
    return try await bootstrap.bind(to: address).get()
  }

  static let ipv6Only = ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only)

  /// An accepted connection over a cap: closed as soon as it is active, counted,
  /// logged once per source per interval.
  func refuse(_ channel: any Channel, from remote: Endpoint, _ refusal: StreamAdmission.Refusal) {
    self.environment.count {
      switch refusal {
      case .overall: $0.tcpConnectionsRefusedOverall += 1
      case .perSource: $0.tcpConnectionsRefusedPerSource += 1
      }
    }
    let cap =
      refusal == .overall
      ? self.configuration.tcpMaxConnections : self.configuration.tcpMaxConnectionsPerSource
    self.environment.logAbuse(
      "connection-cap", "SIP stream connection refused: over the connection cap", source: remote.host,
      now: channel.eventLoop.now, metadata: ["cap": "\(refusal.rawValue)", "limit": "\(cap)"])
    try? channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
  }

  /// The pipeline of every stream connection: idle timeout, TLS (for `tls`:
  /// this side's role, the peer, the name its certificate must have), framing
  /// with a per-message deadline, delivery.
  func addStreamHandlers(
    to channel: any Channel, transport: TransportKind,
    tlsPeer: (role: TLSContext.Role, peer: Endpoint, serverName: String?)
  ) throws {
    let handlers = channel.pipeline.syncOperations
    try handlers.addHandler(IdleStateHandler(allTimeout: .seconds(self.configuration.tcpIdleTimeoutSeconds)))
    if transport == .tls {
      try handlers.addHandler(
        self.makeTLSHandler(role: tlsPeer.role, peer: tlsPeer.peer, serverName: tlsPeer.serverName))
    }
    try handlers.addHandler(
      SIPStreamFramingHandler(
        maxMessageSize: self.configuration.maxMessageSize,
        messageTimeout: .milliseconds(self.configuration.tcpMessageTimeoutMs),
        onTimeout: { [environment] context in environment.messageTimedOut(on: context.channel) }))
    try handlers.addHandler(SIPStreamHandler(environment: self.environment, transport: transport))
    self.environment.count { $0.tcpConnectionsOpen += 1 }
    channel.closeFuture.whenComplete { [environment] _ in
      environment.count { $0.tcpConnectionsOpen -= 1 }
    }
  }

  // MARK: - Connection table

  /// Makes `channel` the connection for sends to `remote` until it closes.
  func register(_ channel: any Channel, as remote: Endpoint) {
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
}
