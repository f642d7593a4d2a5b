import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener (`admin.listen`): HTTP/1.1 on its own socket, on the
/// core's event loop (its reads hop nowhere), serving `AdminHTTPHandler`.
final class AdminServer: Sendable {
  private let listener: HTTPListener
  /// The address it listens on (the real port when 0 was asked for).
  var address: String { listener.address }

  private init(listener: HTTPListener) {
    self.listener = listener
  }

  static func start(
    host: String, port: Int, core: CoreHandle, endpoints: AdminEndpoints, tokens: AdminTokens,
    events: NIOLoopBound<AdminEvents>
  ) async throws -> AdminServer {
    AdminServer(
      listener: try await HTTPListener.bind(host: host, port: port, group: core.loop, backlog: 256) {
        AdminHTTPHandler(endpoints: endpoints, tokens: tokens, events: events)
      })
  }

  func stop() async {
    await listener.close()
  }
}
