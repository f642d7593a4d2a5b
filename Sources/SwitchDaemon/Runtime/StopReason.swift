import SIPCore

/// Why the daemon stops serving.
enum StopReason: Sendable, Equatable {
  /// SIGTERM/SIGINT: drain, close, exit 0.
  case shutdown
  /// A listener closed by itself: close at once, exit non-zero.
  case listenerClosed(Endpoint)

  /// Whichever comes first: `shutdown` returning (or throwing) or a listener closing.
  static func wait(
    for shutdown: @escaping @Sendable () async throws -> Void, or watch: ListenerWatch
  ) async -> StopReason {
    await withTaskGroup(of: StopReason?.self) { group in
      group.addTask {
        try? await shutdown()
        return Task.isCancelled ? nil : .shutdown
      }
      group.addTask { await watch.firstClosed().map { .listenerClosed($0) } }
      defer { group.cancelAll() }
      for await reason in group {
        if let reason { return reason }
      }
      return .shutdown
    }
  }
}
