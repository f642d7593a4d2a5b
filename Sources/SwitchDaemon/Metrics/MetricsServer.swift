import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SIPCore

/// The metrics listener (`metrics.listen`): a small HTTP/1.1 server on its
/// own socket, on the core's event loop group, serving `MetricsEndpoints`.
final class MetricsServer: Sendable {
  private let listener: HTTPListener
  /// The address it listens on (the real port when 0 was asked for).
  var address: String { listener.address }

  private init(listener: HTTPListener) {
    self.listener = listener
  }

  static func start(
    host: String, port: Int, group: any EventLoopGroup, endpoints: MetricsEndpoints
  ) async throws -> MetricsServer {
    MetricsServer(
      listener: try await HTTPListener.bind(host: host, port: port, group: group, backlog: 64) {
        MetricsHTTPHandler(endpoints: endpoints)
      })
  }

  func stop() async {
    await listener.close()
  }
}
