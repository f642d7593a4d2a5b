import Logging
import NIOCore
import SIPCore
import SIPTransport
import ServiceLifecycle

/// The metrics listener (`metrics.listen`): bound by the build function
/// like the SIP listeners (a port in use stops the start), serving
/// `/metrics` and `/health` until graceful shutdown, which reaches it after
/// the drain (so `/health` says 503 while the switch drains).
struct MetricsService: Service {
  let server: MetricsServer

  func run() async throws {
    try? await gracefulShutdown()
    await server.stop()
  }

  /// Binds `metrics.listen`; nil when it is not set.
  static func bind(
    config: SwitchConfig, group: any EventLoopGroup, endpoints: MetricsEndpoints, logger: Logger
  ) async throws -> MetricsServer? {
    guard let address = config.metrics.listen else { return nil }
    do {
      let server = try await MetricsServer.start(
        host: address.host, port: address.port, group: group, endpoints: endpoints)
      logger.notice("metrics listening", metadata: ["address": "http://\(server.address)/metrics"])
      return server
    } catch {
      logger.critical("cannot listen for metrics on \(address.hostPort): \(error)")
      throw error
    }
  }

  /// `GET /metrics` reads the core on its loop, then the transport's and
  /// the softswitch's counters (which are safe to read from anywhere).
  static func endpoints(
    core: CoreHandle, transport: SIPTransportLayer, softswitch: Softswitch?, startedUnixSeconds: Int64,
    listenerWatch: ListenerWatch, capture: HEPCapture? = nil
  ) -> MetricsEndpoints {
    let box = core.box
    return MetricsEndpoints(
      metrics: { _ in
        core.loop.submit { box.value?.reading ?? SwitchReading.Core() }.map { reading in
          var switchReading = SwitchReading()
          switchReading.core = reading
          switchReading.transport = transport.counters
          switchReading.tlsCertificateNotAfter = transport.tls?.certificateNotAfter
          switchReading.records = softswitch?.records.counters
          switchReading.snapshot = softswitch?.status
          switchReading.hep = capture?.counters
          switchReading.startedUnixSeconds = startedUnixSeconds
          switchReading.mode = softswitch == nil ? "proxy" : "softswitch"
          return PrometheusExposition.render(switchReading.families)
        }
      },
      isServing: { _ in core.loop.submit { !(box.value?.proxy.isDraining ?? true) } },
      failure: { listenerWatch.failure })
  }
}
