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
  /// The core loop thread's CPU share over the last window.
  var loopCPUPercent = 0
  var trackedSources = 0
  /// New INVITEs and CANCELs waiting in the core's new-call queue.
  var queuedNewCalls = 0
  /// Those dropped because the queue was full.
  var newCallsDropped = 0

  init() {}

  init(_ overload: OverloadGuard, newCalls: NewCallQueue) {
    queuedNewCalls = newCalls.count
    newCallsDropped = newCalls.dropped
    counters = overload.counters
    shedding = overload.isOverloaded
    admittedRateLimit = overload.admittedRateLimit.map { Int($0) } ?? 0
    loopLagMs = Int(overload.smoothedLagUs / 1000)
    queueDelayMs = Int(overload.smoothedQueueDelayUs / 1000)
    loopBusyPercent = Int(overload.smoothedBusy / 100)
    loopCPUPercent = Int(((overload.loopUtilization ?? 0) * 100).rounded())
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
      MetricFamily(
        name: "didtron_overload_invites_shed_total",
        help: "New INVITEs answered 503 by overload control, by cause.", kind: .counter,
        samples: OverloadCause.allCases.map {
          MetricFamily.Sample(labels: [MetricFamily.Label("cause", $0.rawValue)], value: Int64(shed[$0] ?? 0))
        }),
      .counter(
        "didtron_overload_stateless_replies_total",
        "Shed INVITEs answered 503 from their bytes, with no transaction (counted in invites_shed_total too).",
        o.counters.statelessReplies),
      .counter(
        "didtron_overload_stateless_acks_absorbed_total",
        "ACKs of those 503s, recognised by their To tag and absorbed.", o.counters.statelessAcksAbsorbed),
      .counter(
        "didtron_overload_episodes_total", "Times the core loop's load turned shedding on.",
        o.counters.overloadEpisodes),
      .gauge("didtron_overload_loop_lag_milliseconds", "Smoothed lateness of the core loop.", o.loopLagMs),
      .gauge(
        "didtron_overload_queue_delay_milliseconds",
        "Smoothed wait of a call admitted now: twice the receive-queue age of a probe datagram, plus the oldest new INVITE's wait.",
        o.queueDelayMs),
      .gauge(
        "didtron_overload_queued_new_calls",
        "New INVITEs and CANCELs waiting while the core handles responses and in-dialog requests first.",
        o.queuedNewCalls),
      .counter(
        "didtron_overload_new_calls_dropped_total",
        "New INVITEs and CANCELs dropped unanswered because the new-call queue was full.",
        o.newCallsDropped),
      .gauge(
        "didtron_overload_loop_busy_percent",
        "Smoothed share of time the core loop spends handling messages.",
        o.loopBusyPercent),
      .gauge(
        "didtron_overload_loop_cpu_percent",
        "The core loop thread's CPU share over the last 100 ms (the admission controller's headroom).",
        o.loopCPUPercent),
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
