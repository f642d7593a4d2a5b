import Policy

extension SwitchReading {
  /// The `didtron_interconnect_*` families of supplier health: one sample per
  /// probed interconnect (those with `options_probe` on; docs/operations.md).
  var supplierHealth: [MetricFamily] {
    let states = core.supplierHealth
    func labels(_ state: SupplierHealthState) -> [MetricFamily.Label] {
      [.init("interconnect_id", state.interconnectID), .init("carrier_id", state.carrierID)]
    }
    return [
      MetricFamily(
        name: "didtron_interconnect_up",
        help: "1 while a probed supplier interconnect answers its OPTIONS probes, 0 while calls skip it.",
        kind: .gauge, samples: states.map { .init(labels: labels($0), value: $0.state == .up ? 1 : 0) }),
      MetricFamily(
        name: "didtron_interconnect_probes_total",
        help:
          "OPTIONS probes of supplier interconnects, by result (ok, failed; in flight ones not yet counted).",
        kind: .counter,
        samples: states.flatMap {
          [
            .init(
              labels: labels($0) + [.init("result", "ok")], value: Int64($0.probesSent - $0.probesFailed)),
            .init(labels: labels($0) + [.init("result", "failed")], value: Int64($0.probesFailed)),
          ]
        }),
      MetricFamily(
        name: "didtron_interconnect_state_changes_total",
        help: "Times a probed supplier interconnect went down or came back up.", kind: .counter,
        samples: states.map { .init(labels: labels($0), value: Int64($0.changes)) }),
    ]
  }
}
