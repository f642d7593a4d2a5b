import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SIPCore

/// The metrics listener (`metrics.listen`): a small HTTP/1.1 server on its
/// own socket, on the core's event loop group, serving `MetricsEndpoints`.
final class MetricsServer: Sendable {
  private let channel: any Channel
  /// The address it listens on (the real port when 0 was asked for).
  let address: String

  private init(channel: any Channel, address: String) {
    self.channel = channel
    self.address = address
  }

  static func start(
    host: String, port: Int, group: any EventLoopGroup, endpoints: MetricsEndpoints
  ) async throws -> MetricsServer {
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(endpoints: endpoints))
        }
      }
      .bind(host: host, port: port).get()
    let bound = channel.localAddress
    let text =
      switch bound {
      case .v6(_): "[\(bound?.ipAddress ?? host)]:\(bound?.port ?? port)"
      default: "\(bound?.ipAddress ?? host):\(bound?.port ?? port)"
      }
    return MetricsServer(channel: channel, address: text)
  }

  func stop() async {
    try? await channel.close()
  }
}
