import NIOCore
import Policy
import Proxy
import SIPCore

extension SwitchConfig {
  /// `[health]`: OPTIONS probes of supplier interconnects (docs/operations.md,
  /// "Supplier health"). Which interconnects are probed, and at what interval,
  /// their rows say (`options_probe`, `options_probe_interval_seconds`).
  public struct HealthSettings: Sendable, Equatable {
    /// `health.probe_interval_ms`: time between probes of an interconnect
    /// whose row names no interval. Default 30000.
    public var probeIntervalMs: Int = 30_000
    /// `health.probe_timeout_ms`: a probe with no final response this long
    /// after it was sent is a failure. Default 5000.
    public var probeTimeoutMs: Int = 5_000
    /// `health.failures_to_down`: failed probes in a row (timeout, 408, 5xx,
    /// transport error) that mark an interconnect down. Default 3.
    public var failuresToDown: Int = 3
    /// `health.successes_to_up`: answered probes in a row that bring a down
    /// interconnect back. Default 2.
    public var successesToUp: Int = 2

    public init() {}

    /// The proxy core's settings for these keys.
    public var settings: SupplierHealthSettings {
      SupplierHealthSettings(
        thresholds: HealthThresholds(failuresToDown: failuresToDown, successesToUp: successesToUp),
        defaultIntervalMs: Int64(probeIntervalMs), timeoutMs: Int64(probeTimeoutMs))
    }
  }

  /// `[capture]`: a copy of every SIP message to a HEP collector
  /// (docs/operations.md, "HEP capture").
  public struct CaptureSettings: Sendable, Equatable {
    /// `capture.hep_address`: `HOST:PORT` of a HEP v3 collector (UDP), e.g.
    /// Homer's heplify-server; nil (the file's `""`, the default) sends none.
    public var hepAddress: Endpoint? = nil
    /// `capture.hep_capture_id`: the capture agent id in every packet (HEP
    /// chunk 0x000c), telling switches apart at the collector. Default 2001.
    public var hepCaptureID: Int = 2001
    /// `capture.hep_queue_size`: copies waiting to be sent at most; more are
    /// dropped and counted (`didtron_hep_dropped_total`). Default 8192.
    public var hepQueueSize: Int = 8192

    public init() {}
  }

  /// The keys of `[health]` and `[capture]`, in the order of the example file.
  static let operationsKeys: [ConfigKey] = [
    .integer(
      "health.probe_interval_ms", get: { $0.health.probeIntervalMs }, set: { $0.health.probeIntervalMs = $1 }),
    .integer(
      "health.probe_timeout_ms", get: { $0.health.probeTimeoutMs }, set: { $0.health.probeTimeoutMs = $1 }),
    .integer(
      "health.failures_to_down", get: { $0.health.failuresToDown }, set: { $0.health.failuresToDown = $1 }),
    .integer(
      "health.successes_to_up", get: { $0.health.successesToUp }, set: { $0.health.successesToUp = $1 }),
    .string(
      "capture.hep_address", get: { $0.capture.hepAddress?.hostPort ?? "" },
      set: { config, text in
        guard !text.isEmpty else {
          config.capture.hepAddress = nil
          return
        }
        guard let endpoint = ConfigKey.hostAndPort(text), endpoint.port != 0,
          (try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port)) != nil
        else {
          throw ConfigError("\(ConfigValue.quote(text)) is not an IP address and UDP port (HOST:PORT)")
        }
        config.capture.hepAddress = Endpoint(transport: .udp, host: endpoint.host, port: endpoint.port)
      }),
    .integer(
      "capture.hep_capture_id", get: { $0.capture.hepCaptureID }, set: { $0.capture.hepCaptureID = $1 }),
    .integer(
      "capture.hep_queue_size", get: { $0.capture.hepQueueSize }, set: { $0.capture.hepQueueSize = $1 }),
  ]

  /// `[health]` and `[capture]`: each value in its range.
  func validateOperations() throws(ConfigError) {
    try requireInRanges([
      ("health.probe_interval_ms", health.probeIntervalMs, 100...3_600_000),
      ("health.probe_timeout_ms", health.probeTimeoutMs, 50...60_000),
      ("health.failures_to_down", health.failuresToDown, 1...100),
      ("health.successes_to_up", health.successesToUp, 1...100),
      ("capture.hep_capture_id", capture.hepCaptureID, 0...Int(UInt32.max)),
      ("capture.hep_queue_size", capture.hepQueueSize, 1...1_000_000),
    ])
  }
}
