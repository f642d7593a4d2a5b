import Billing
import Logging
import NIOCore
import NIOPosix
import SIPCore
import SIPTransport
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The daemon: `build` makes the parts from the configuration and returns
/// them as swift-service-lifecycle services in one `ServiceGroup`; `run`
/// runs the group until SIGTERM/SIGINT (or a listener that closes).
public enum Daemon {
  /// - Parameter reloadConfiguration: re-reads the configuration on SIGHUP
  ///   (file, environment, flags); `nil` makes SIGHUP only log.
  public static func run(
    config: SwitchConfig, logger: Logger,
    reloadConfiguration: (@Sendable () throws -> SwitchConfig)? = nil
  ) async throws {
    // One event loop: the proxy core, UDP and TCP all live on it, so no
    // message ever changes thread and the core needs no locks.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var failure: (any Error)?
    do {
      let built = try await build(
        config: config, group: group, logger: logger, reloadConfiguration: reloadConfiguration)
      do {
        try await built.services.run()
      } catch {
        failure = error
      }
      let totals = try? await built.core.submit { $0?.totals ?? "" }
      await built.capture?.stop()
      logger.notice("didtron-switch stopped", metadata: ["totals": "\(totals ?? "")"])
    } catch {
      try? await group.shutdownGracefully()
      throw error
    }
    try await group.shutdownGracefully()
    if let failure { throw failure }
  }

  /// The switch as built: its services, and the core for the last totals.
  struct Built {
    let services: ServiceGroup
    let core: CoreHandle
    var capture: HEPCapture? = nil
  }

  /// Where the concrete types meet. Makes, in dependency order, whatever
  /// must succeed before the switch may say READY=1 (softswitch mode's
  /// schema check, first snapshot and journal; the SIP and metrics
  /// listeners; the proxy core), stopping what it made if a step fails;
  /// then the services that hold each part until graceful shutdown, which
  /// runs in reverse: reloads, drain, metrics, ticker, transports, records,
  /// credit sync.
  static func build(
    config: SwitchConfig, group: MultiThreadedEventLoopGroup, logger: Logger,
    reloadConfiguration: (@Sendable () throws -> SwitchConfig)?
  ) async throws -> Built {
    let core = CoreHandle(loop: group.next())
    let listenerWatch = ListenerWatch()
    let tls = try config.tlsContextStore(logger: logger)
    let capture = try await startCapture(config, logger: logger)
    let transport = SIPTransportLayer(
      group: group, udpLoop: core.loop, configuration: config.transportConfiguration, logger: logger,
      onMessage: {
        if let capture, !UDPQueueAgeProbe.isProbe($0.bytes) {
          capture.capture($0.bytes, source: $0.source, destination: $0.local)
        }
        core.receive($0)
      }, onSendFailure: { core.transportError(to: $0) },
      onListenerClosed: { listenerWatch.listenerClosed($0) }, tls: tls)
    let mode: SwitchMode
    let bound: [Endpoint]
    let metrics: MetricsServer?
    let admin: AdminServer?
    do {
      mode = try await SwitchMode.start(config: config, logger: logger)
      if let snapshot = mode.firstLoad?.snapshot {
        TLSPeers.install(snapshot.interconnects.values, into: tls, logger: logger)
      }
    } catch {
      await transport.shutdown()
      await capture?.stop()
      throw error
    }
    do {
      bound = try await bind(transport, config.sip.listen, logger: logger)
      let endpoints = MetricsService.endpoints(
        core: core, transport: transport, softswitch: mode.softswitch,
        startedUnixSeconds: SystemProxyClock().unixMs / 1000, listenerWatch: listenerWatch, capture: capture)
      metrics = try await MetricsService.bind(
        config: config, group: group, endpoints: endpoints, logger: logger)
      admin = try await AdminService.bind(
        config: config, core: core, mode: mode.name, startedUnixSeconds: SystemProxyClock().unixMs / 1000,
        logger: logger)
    } catch {
      await transport.shutdown()
      await mode.softswitch?.stop(deadline: .now)
      await capture?.stop()
      throw error
    }
    let ledger = try await CoreAssembly(
      config: config, mode: mode, transport: transport, logger: logger, capture: capture
    ).assemble(into: core, bound: bound)
    await AdminService.restoreDrained(config: config, core: core, logger: logger)
    let parts = SwitchParts(
      config: config, core: core, transport: transport, bound: bound, mode: mode, metrics: metrics,
      admin: admin, listenerWatch: listenerWatch, reloadConfiguration: reloadConfiguration, logger: logger)
    let services = await parts.services(ledger: ledger)
    let serviceGroup = ServiceGroup(
      configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    return Built(services: serviceGroup, core: core, capture: capture)
  }

  /// HEP capture when `capture.hep_address` is set; a collector address
  /// that cannot be used stops the start.
  private static func startCapture(_ config: SwitchConfig, logger: Logger) async throws -> HEPCapture? {
    guard let collector = config.capture.hepAddress else { return nil }
    do {
      let capture = try await HEPCapture.start(
        collector: collector, captureID: UInt32(clamping: config.capture.hepCaptureID),
        queueSize: config.capture.hepQueueSize)
      logger.notice("HEP capture on", metadata: ["collector": "udp:\(collector.hostPort)"])
      return capture
    } catch {
      logger.critical("cannot send HEP copies to \(collector.hostPort): \(error)")
      throw error
    }
  }

  private static func bind(
    _ transport: SIPTransportLayer, _ listen: [Endpoint], logger: Logger
  ) async throws -> [Endpoint] {
    do {
      return try await transport.bind(listen)
    } catch {
      logger.critical("cannot listen: \(error)")
      throw error
    }
  }

  /// `credit.node_id`, or the host name and first listening address
  /// (stable across restarts, distinct for two switches on one host).
  static func nodeID(config: SwitchConfig, bound: [Endpoint]) -> String {
    if !config.credit.nodeID.isEmpty { return config.credit.nodeID }
    var name = [CChar](repeating: 0, count: 256)
    let host =
      gethostname(&name, name.count) == 0
      ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "switch"
    return bound.first.map { "\(host)/\($0)" } ?? host
  }
}

enum DaemonError: Error, CustomStringConvertible, Equatable {
  case noRoute
  /// A SIP listener closed while the switch was running (not shutting down).
  case listenerClosed(Endpoint)

  var description: String {
    switch self {
    case .noRoute: "proxy.next_hop is not set: proxy mode needs a next hop"
    case .listenerClosed(let listener): "SIP listener \(listener) closed unexpectedly"
    }
  }
}
