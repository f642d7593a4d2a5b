import Logging
import SIPCore
import SIPTransport
import ServiceLifecycle

/// The SIP listeners. The build function binds them (the proxy core needs
/// their addresses, and a listener that cannot bind must stop the start);
/// this service says READY=1 to systemd (everything it needs is bound and
/// made by then) and closes them at graceful shutdown, after the core has
/// drained.
struct TransportService: Service {
  let transport: SIPTransportLayer
  let bound: [Endpoint]
  let notifier: SystemdNotifier
  /// `proxy` or `softswitch`, and proxy mode's next hop (for the log).
  let mode: String
  let nextHop: Endpoint?
  let logger: Logger

  func run() async throws {
    let listening = bound.map(\.description).joined(separator: ", ")
    logger.notice(
      "didtron-switch ready",
      metadata: ["listen": "\(listening)", "mode": "\(mode)", "next_hop": "\(nextHop.map { "\($0)" } ?? "")"])
    do {
      try notifier.ready(status: "listening on \(listening)")
    } catch {
      logger.warning("\(error)")
    }
    try? await gracefulShutdown()
    await transport.shutdown()
  }
}
