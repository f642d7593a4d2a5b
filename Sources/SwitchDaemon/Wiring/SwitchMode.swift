import Logging
import Proxy
import SIPCore

/// How the switch routes calls: softswitch mode (`database.url`: the
/// schema must match and the first snapshot must load before the switch
/// says it is ready) or proxy mode (everything to `proxy.next_hop`).
enum SwitchMode: Sendable {
  case proxy(nextHop: Endpoint)
  case softswitch(Softswitch, firstLoad: ReferenceLoad)

  /// Starts the softswitch's parts, or checks that proxy mode has a next
  /// hop. Throws with the operator's message (already logged).
  static func start(config: SwitchConfig, logger: Logger) async throws -> SwitchMode {
    if config.database.url != nil {
      let mode: SwitchMode
      do {
        let (started, loaded) = try await Softswitch.start(config: config, logger: logger)
        mode = .softswitch(started, firstLoad: loaded)
      } catch {
        logger.critical("cannot start in softswitch mode: \(error)")
        throw error
      }
      if config.proxy.nextHop != nil {
        logger.notice("proxy.next_hop is ignored: database.url routes calls (softswitch mode)")
      }
      return mode
    }
    guard let nextHop = config.proxy.nextHop else { throw DaemonError.noRoute }
    return .proxy(nextHop: nextHop)
  }

  var softswitch: Softswitch? {
    if case .softswitch(let softswitch, _) = self { return softswitch }
    return nil
  }

  /// The first snapshot and credit accounts (softswitch mode).
  var firstLoad: ReferenceLoad? {
    if case .softswitch(_, let firstLoad) = self { return firstLoad }
    return nil
  }

  /// The router the proxy core starts with.
  func router(config: SwitchConfig) -> any CallRouter {
    switch self {
    case .proxy(let nextHop): NextHopRouter(nextHop: nextHop)
    case .softswitch(_, let loaded): config.callPipeline(loaded.snapshot)
    }
  }

  /// For the logs and the metrics' `mode` label.
  var name: String { softswitch == nil ? "proxy" : "softswitch" }
}
