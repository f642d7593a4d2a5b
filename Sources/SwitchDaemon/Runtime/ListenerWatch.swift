import NIOConcurrencyHelpers
import SIPCore

/// Listeners that closed while the switch was not shutting down. One is enough to
/// fail the health check for good and to stop the daemon with an error, so that
/// systemd restarts it: a switch that silently stopped reading UDP would
/// otherwise look healthy forever.
final class ListenerWatch: Sendable {
  private let closed = NIOLockedValueBox<[Endpoint]>([])
  private let events: AsyncStream<Endpoint>
  private let continuation: AsyncStream<Endpoint>.Continuation

  init() {
    (self.events, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
  }

  /// Called by the transport layer, from any thread.
  func listenerClosed(_ listener: Endpoint) {
    self.closed.withLockedValue { $0.append(listener) }
    self.continuation.yield(listener)
  }

  /// Why the health check fails, or `nil` while every listener is up.
  var failure: String? {
    let closed = self.closed.withLockedValue { $0 }
    guard !closed.isEmpty else { return nil }
    return "listener closed: " + closed.map(\.description).joined(separator: ", ")
  }

  /// The first listener that closes; `nil` if the wait is cancelled.
  func firstClosed() async -> Endpoint? {
    for await listener in self.events { return listener }
    return nil
  }
}
