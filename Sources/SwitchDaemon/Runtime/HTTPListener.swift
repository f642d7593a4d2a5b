import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 listening socket, as the metrics and admin listeners use it:
/// NIO's HTTP server pipeline and one handler of the caller's on every
/// connection, and the address it got (the real port when 0 was asked for).
final class HTTPListener: Sendable {
  private let channel: any Channel
  /// `HOST:PORT`, an IPv6 host in brackets.
  let address: String

  private init(channel: any Channel, address: String) {
    self.channel = channel
    self.address = address
  }

  /// Binds `host:port` on `group`; `handler` makes each connection's handler,
  /// on that connection's event loop.
  static func bind(
    host: String, port: Int, group: any EventLoopGroup, backlog: Int32,
    handler: @escaping @Sendable () -> any ChannelHandler
  ) async throws -> HTTPListener {
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: backlog)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(handler())
        }
      }
      .bind(host: host, port: port).get()
    let bound = channel.localAddress
    let text =
      switch bound {
      case .v6(_): "[\(bound?.ipAddress ?? host)]:\(bound?.port ?? port)"
      default: "\(bound?.ipAddress ?? host):\(bound?.port ?? port)"
      }
    return HTTPListener(channel: channel, address: text)
  }

  func close() async {
    try? await channel.close()
  }
}
