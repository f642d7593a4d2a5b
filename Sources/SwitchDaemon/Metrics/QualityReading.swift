import Proxy

/// Call quality per carrier interconnect as the metrics see it, read on the
/// core loop (docs/operations.md, "Quality metrics").
struct QualityReading: Sendable {
  var carriers: [QualityKey: CarrierQuality] = [:]
  var refusals: [String: Int] = [:]
  var activeByCarrier: [String: Int] = [:]
  var activeByInterconnect: [String: Int] = [:]
}
