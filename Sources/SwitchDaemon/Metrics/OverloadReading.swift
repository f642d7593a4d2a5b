import Proxy

/// The overload guard as the metrics see it (docs/metrics.md), read on the core loop.
struct OverloadReading: Sendable {
  var counters = OverloadCounters()
  var shedding = false
  /// New INVITEs per second admitted at most while shedding (rounded down); 0: no limit.
  var admittedRateLimit = 0
  var loopLagMs = 0
  var queueDelayMs = 0
  var loopBusyPercent = 0
  var trackedSources = 0

  init() {}

  init(_ overload: OverloadGuard) {
    counters = overload.counters
    shedding = overload.isOverloaded
    admittedRateLimit = overload.admittedRateLimit.map { Int($0) } ?? 0
    loopLagMs = Int(overload.smoothedLagUs / 1000)
    queueDelayMs = Int(overload.smoothedQueueDelayUs / 1000)
    loopBusyPercent = Int(overload.smoothedBusy / 100)
    trackedSources = overload.trackedSources
  }
}

extension SwitchReading {
  /// The `didtron_overload_*` and `didtron_unknown_source_*` families.
  var overload: [MetricFamily] {
    let o = core.overload
    let shed = o.counters.shed
    return [
      .gauge(
        "didtron_overload_shedding", "1 while the core loop's load sheds new INVITEs with 503.",
        o.shedding ? 1 : 0),
      .gauge(
        "didtron_overload_admitted_invites_per_second",
        "While shedding: new INVITEs per second admitted at most (the AIMD controller's rate); 0: no limit.",
        o.admittedRateLimit),
      .counter(
        "didtron_overload_invites_shed_total", "New INVITEs answered 503 by overload control, by cause.",
        by: "cause",
        [
          "loop_lag": shed[.loopLag] ?? 0, "queue_delay": shed[.queueDelay] ?? 0,
          "loop_busy": shed[.loopBusy] ?? 0,
          "global_rate": shed[.globalRate] ?? 0, "source_rate": shed[.sourceRate] ?? 0,
        ]),
      .counter(
        "didtron_overload_episodes_total", "Times the core loop's load turned shedding on.",
        o.counters.overloadEpisodes),
      .gauge("didtron_overload_loop_lag_milliseconds", "Smoothed lateness of the core loop.", o.loopLagMs),
      .gauge(
        "didtron_overload_queue_delay_milliseconds",
        "Smoothed age of the datagrams the core loop reads (a probe datagram through each UDP listener's receive queue).",
        o.queueDelayMs),
      .gauge(
        "didtron_overload_loop_busy_percent",
        "Smoothed share of time the core loop spends handling messages.",
        o.loopBusyPercent),
      .gauge(
        "didtron_overload_tracked_sources", "Source addresses held by the per-source rate limits.",
        o.trackedSources),
      .counter(
        "didtron_unknown_source_requests_total",
        "Requests from sources no interconnect knows: INVITEs answered 403, or dropped unanswered.",
        by: "result",
        ["refused": o.counters.unknownSourceRefused, "dropped": o.counters.unknownSourceDropped]),
      .counter(
        "didtron_log_lines_suppressed_total",
        "Refusal log lines left out (one per source and reason per interval).",
        o.counters.logLinesSuppressed),
    ]
  }
}
