import Logging
import ServiceLifecycle

/// Watches the SIP listeners. One that closes by itself (not at shutdown)
/// ends this service with `DaemonError.listenerClosed`: the group then shuts
/// down gracefully in order (the drain skips its grace) and `Daemon.run`
/// throws, so the process exits non-zero and systemd restarts the switch.
/// `/health` fails from the moment the listener closed (`ListenerWatch`).
struct ListenerWatchService: Service {
  let watch: ListenerWatch
  let logger: Logger

  func run() async throws {
    let watch = self.watch
    let reason = await StopReason.wait(for: { try await gracefulShutdown() }, or: watch)
    guard case .listenerClosed(let closed) = reason else { return }
    logger.critical(
      "a SIP listener closed; stopping so that the service manager restarts the switch",
      metadata: ["listener": "\(closed)"])
    throw DaemonError.listenerClosed(closed)
  }
}
