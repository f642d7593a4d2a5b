import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener (`admin.listen`): HTTP/1.1 on its own socket, on the
/// core's event loop (its reads hop nowhere), serving `AdminHTTPHandler`.
final class AdminServer: Sendable {
  private let channel: any Channel
  /// The address it listens on (the real port when 0 was asked for).
  let address: String

  private init(channel: any Channel, address: String) {
    self.channel = channel
    self.address = address
  }

  static func start(
    host: String, port: Int, core: CoreHandle, endpoints: AdminEndpoints, tokens: AdminTokens,
    events: NIOLoopBound<AdminEvents>
  ) async throws -> AdminServer {
    let channel = try await ServerBootstrap(group: core.loop)
      .serverChannelOption(.backlog, value: 256)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(
            AdminHTTPHandler(endpoints: endpoints, tokens: tokens, events: events))
        }
      }
      .bind(host: host, port: port).get()
    let bound = channel.localAddress
    let text =
      switch bound {
      case .v6(_): "[\(bound?.ipAddress ?? host)]:\(bound?.port ?? port)"
      default: "\(bound?.ipAddress ?? host):\(bound?.port ?? port)"
      }
    return AdminServer(channel: channel, address: text)
  }

  func stop() async {
    try? await channel.close()
  }
}
