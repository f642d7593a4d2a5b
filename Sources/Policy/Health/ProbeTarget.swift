import SIPCore

/// A supplier interconnect the switch probes with OPTIONS: an active egress
/// interconnect with an address whose `options_probe` is on (migration 0023).
public struct ProbeTarget: Sendable, Equatable {
  public var interconnectID: String
  public var carrierID: String
  public var destination: Endpoint
  /// Time between probes (`options_probe_interval_seconds`, else `health.probe_interval_ms`).
  public var intervalMs: Int64

  public init(interconnectID: String, carrierID: String, destination: Endpoint, intervalMs: Int64) {
    self.interconnectID = interconnectID
    self.carrierID = carrierID
    self.destination = destination
    self.intervalMs = max(1, intervalMs)
  }

  /// The targets among `interconnects`: active, egress, with an address and probing on.
  public static func targets(_ interconnects: some Sequence<Interconnect>, defaultIntervalMs: Int64)
    -> [ProbeTarget]
  {
    interconnects.compactMap { interconnect in
      guard interconnect.optionsProbe, interconnect.isActive, interconnect.direction.allowsEgress,
        let destination = interconnect.egressEndpoint
      else { return nil }
      return ProbeTarget(
        interconnectID: interconnect.id, carrierID: interconnect.carrierID, destination: destination,
        intervalMs: interconnect.optionsProbeIntervalSeconds.map { Int64($0) * 1000 } ?? defaultIntervalMs)
    }.sorted { $0.interconnectID < $1.interconnectID }
  }
}
