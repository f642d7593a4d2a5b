import Policy
import Proxy
import SIPCore
import SIPTransport
import Testing

@testable import SwitchDaemon

/// The families of docs/operations.md as `GET /metrics` writes them:
/// supplier health, quality per carrier (a histogram among them), HEP.
@Suite struct OperationsMetricsTests {
  static func rendered() -> [Substring] {
    var reading = SwitchReading()
    reading.core.supplierHealth = [
      SupplierHealthState(
        interconnectID: "i2", carrierID: "c2", state: .down, consecutiveFailures: 3, lastOutcome: "timeout",
        probesSent: 10, probesFailed: 4, changes: 1)
    ]
    var quality = CarrierQuality()
    quality.attempts = 4
    quality.answered = 3
    quality.answeredMs = 90_000
    quality.effective = 4
    quality.failuresByClass = [0, 1, 0, 0]
    quality.pddBuckets = [0, 1, 2, 2, 3, 3, 3, 3, 3]
    quality.pddCount = 3
    quality.pddSumMs = 4_100
    reading.core.quality = QualityReading(
      carriers: [QualityKey(side: .egress, carrierID: "c2", interconnectID: "i2"): quality],
      refusals: ["no_route": 2], activeByCarrier: ["c2": 1], activeByInterconnect: ["i2": 1])
    reading.hep = HEPCounters(sent: 5, dropped: 1, failed: 2)
    return PrometheusExposition.render(reading.families).split(separator: "\n")
  }

  @Test func supplierHealthQualityAndHEPAreWritten() {
    let lines = Self.rendered()
    let leg = #"side="egress",carrier_id="c2",interconnect_id="i2""#
    for line in [
      #"didtron_interconnect_up{interconnect_id="i2",carrier_id="c2"} 0"#,
      #"didtron_interconnect_probes_total{interconnect_id="i2",carrier_id="c2",result="ok"} 6"#,
      #"didtron_interconnect_probes_total{interconnect_id="i2",carrier_id="c2",result="failed"} 4"#,
      "didtron_carrier_attempts_total{\(leg)} 4",
      "didtron_carrier_answered_milliseconds_total{\(leg)} 90000",
      "didtron_carrier_asr_percent{\(leg)} 75",
      "didtron_carrier_acd_seconds{\(leg)} 30",
      "didtron_carrier_ner_percent{\(leg)} 100",
      "didtron_carrier_failures_total{\(leg),class=\"4xx\"} 1",
      "# TYPE didtron_carrier_pdd_milliseconds histogram",
      "didtron_carrier_pdd_milliseconds_bucket{\(leg),le=\"500\"} 1",
      "didtron_carrier_pdd_milliseconds_bucket{\(leg),le=\"+Inf\"} 3",
      "didtron_carrier_pdd_milliseconds_sum{\(leg)} 4100",
      "didtron_carrier_pdd_milliseconds_count{\(leg)} 3",
      #"didtron_calls_refused_by_rule_total{rule="no_route"} 2"#,
      #"didtron_carrier_active_calls{carrier_id="c2"} 1"#,
      #"didtron_interconnect_active_calls{interconnect_id="i2"} 1"#,
      #"didtron_hep_copies_total{result="dropped"} 1"#,
    ] {
      #expect(lines.contains(Substring(line)), "\(line)")
    }
  }

  @Test func noHEPFamilyWhenCaptureIsOff() {
    let text = PrometheusExposition.render(SwitchReading().families)
    #expect(!text.contains("didtron_hep_copies_total"))
    #expect(text.contains("# TYPE didtron_interconnect_up gauge"))
  }
}
