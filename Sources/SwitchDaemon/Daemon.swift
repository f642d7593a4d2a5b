import Logging

/// The daemon: wires the listeners, the transaction layer and the proxy core
/// together and runs them until SIGTERM.
///
/// STUB in the `wt-ops` branch, so that the configuration and the command line
/// build and run; the lead's real implementation replaces it on merge.
public enum Daemon {
  public static func run(config: SwitchConfig, logger: Logger) async throws {
    logger.notice(
      "daemon stub: configuration loaded; no listener is started in this build",
      metadata: [
        "listen": "\(config.sip.listen.map(\.description).joined(separator: ","))",
        "next_hop": "\(config.proxy.nextHop.map(\.description) ?? "")",
      ])
  }
}
