import Proxy

extension SwitchReading {
  /// The `didtron_carrier_*` families: one series per side, carrier and
  /// interconnect that carried a call since start (at most
  /// `QualityTable.maxKeys`, then `other`).
  var quality: [MetricFamily] {
    let q = core.quality
    let keys = q.carriers.keys.sorted {
      ($0.side.rawValue, $0.carrierID, $0.interconnectID) < (
        $1.side.rawValue, $1.carrierID, $1.interconnectID
      )
    }
    func labels(_ key: QualityKey) -> [MetricFamily.Label] {
      [
        .init("side", key.side.rawValue), .init("carrier_id", key.carrierID),
        .init("interconnect_id", key.interconnectID),
      ]
    }
    func family(_ name: String, _ help: String, _ kind: MetricFamily.Kind, _ value: (CarrierQuality) -> Int64)
      -> MetricFamily
    {
      MetricFamily(
        name: name, help: help, kind: kind,
        samples: keys.map { .init(labels: labels($0), value: value(q.carriers[$0] ?? CarrierQuality())) })
    }
    return [
      family(
        "didtron_carrier_attempts_total", "Calls (ingress) or targets tried (egress, each failover counts).",
        .counter
      ) { Int64($0.attempts) },
      family("didtron_carrier_answered_total", "Attempts answered.", .counter) { Int64($0.answered) },
      family(
        "didtron_carrier_answered_milliseconds_total", "Duration of answered calls (ACD = this / answered).",
        .counter
      ) { $0.answeredMs },
      family(
        "didtron_carrier_effective_total",
        "Attempts answered or ended by the user (busy, no answer, declined, cancelled): NER's numerator.",
        .counter
      ) { Int64($0.effective) },
      MetricFamily(
        name: "didtron_carrier_failures_total", help: "Unanswered attempts by class of their final status.",
        kind: .counter,
        samples: keys.flatMap { key in
          ["3xx", "4xx", "5xx", "6xx"].enumerated().map { index, name in
            .init(
              labels: labels(key) + [.init("class", name)],
              value: Int64(q.carriers[key]?.failuresByClass[index] ?? 0))
          }
        }),
      family(
        "didtron_carrier_asr_percent", "Answer-seizure ratio since start, percent (rounded down).", .gauge
      ) {
        Int64($0.asrPercent)
      },
      family(
        "didtron_carrier_acd_seconds", "Average duration of answered calls since start (rounded down).",
        .gauge
      ) {
        Int64($0.acdSeconds)
      },
      family(
        "didtron_carrier_ner_percent", "Network effectiveness ratio since start, percent (rounded down).",
        .gauge
      ) { Int64($0.nerPercent) },
      pddHistogram(keys, labels),
    ] + activity
  }

  /// Refusals by rule and calls in progress.
  private var activity: [MetricFamily] {
    let q = core.quality
    return [
      MetricFamily(
        name: "didtron_calls_refused_by_rule_total",
        help:
          "Initial INVITEs refused, by the rule that fired (reason phrase in snake_case; at most 128, then other).",
        kind: .counter,
        samples: q.refusals.sorted { $0.key < $1.key }.map {
          .init(labels: [.init("rule", $0.key)], value: Int64($0.value))
        }),
      MetricFamily(
        name: "didtron_carrier_active_calls",
        help: "Calls in progress (routed, not over) per carrier, either side.",
        kind: .gauge,
        samples: q.activeByCarrier.sorted { $0.key < $1.key }.map {
          .init(labels: [.init("carrier_id", $0.key)], value: Int64($0.value))
        }),
      MetricFamily(
        name: "didtron_interconnect_active_calls",
        help: "Calls in progress (routed, not over) per interconnect.",
        kind: .gauge,
        samples: q.activeByInterconnect.sorted { $0.key < $1.key }.map {
          .init(labels: [.init("interconnect_id", $0.key)], value: Int64($0.value))
        }),
    ]
  }

  /// Post-dial delay (INVITE to the first 18x relayed), milliseconds.
  private func pddHistogram(_ keys: [QualityKey], _ labels: (QualityKey) -> [MetricFamily.Label])
    -> MetricFamily
  {
    var samples: [MetricFamily.Sample] = []
    for key in keys {
      let quality = core.quality.carriers[key] ?? CarrierQuality()
      let bounds = CarrierQuality.pddBucketsMs.map(String.init) + ["+Inf"]
      for (bound, count) in zip(bounds, quality.pddBuckets) {
        samples.append(
          .init(labels: labels(key) + [.init("le", bound)], value: Int64(count), suffix: "_bucket"))
      }
      samples.append(.init(labels: labels(key), value: quality.pddSumMs, suffix: "_sum"))
      samples.append(.init(labels: labels(key), value: Int64(quality.pddCount), suffix: "_count"))
    }
    return MetricFamily(
      name: "didtron_carrier_pdd_milliseconds",
      help: "Post-dial delay: INVITE received to the first 18x relayed.",
      kind: .histogram, samples: samples)
  }
}
