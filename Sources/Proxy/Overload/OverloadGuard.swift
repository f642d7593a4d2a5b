import Policy

/// Decides, before any routing work, whether a new INVITE is taken or shed
/// with 503, and how much an unknown source gets (docs/overload.md). One
/// thread (the proxy core's) uses it; time is a parameter and the load of
/// the core loop is reported by the driver (`observeLoop`), so tests inject
/// both.
///
/// Loop signals are smoothed (an exponentially weighted mean, 1/8 of each
/// new sample, as RFC 6298 smooths round-trip times). When a smoothed signal
/// goes above its limit, new INVITEs are admitted at a limited rate that an
/// AIMD controller (`AdmissionController`) cuts while the signal stays over
/// and raises while it is under, so that the admitted load tracks what the
/// loop can take; the limit is lifted when the signal is back below 3/4 of
/// its limit and no INVITE was refused for a control step. Requests that are
/// not new INVITEs (in-dialog requests, ACK, BYE, CANCEL, responses) never
/// come here: they finish calls that were already admitted.
public final class OverloadGuard {
  public let settings: OverloadSettings
  public private(set) var counters = OverloadCounters()
  /// Smoothed loop lateness, in microseconds.
  public private(set) var smoothedLagUs: Int64 = 0
  /// Smoothed age of the datagrams the loop reads, in microseconds.
  public private(set) var smoothedQueueDelayUs: Int64 = 0
  /// Smoothed busy share of the loop, in 1/100 of a percent.
  public private(set) var smoothedBusy: Int64 = 0
  /// The loop signal that limits new INVITEs now (the one over its limit,
  /// or the last one that was during this episode), if any.
  public private(set) var loopCause: OverloadCause?
  /// How long the request now being handled waited in the core's new-call
  /// queue, in µs (the daemon sets it around each one; 0 otherwise).
  public var inviteWaitUs: Int64 = 0
  /// The loop thread's CPU share (0 to 1) over the last window the driver
  /// reported; nil until it reports one.
  public private(set) var loopUtilization: Double?
  /// The AIMD admission of new INVITEs under load.
  public private(set) var admission: AdmissionController
  private var global: TokenBucket?
  private var perSource: SourceRateLimiter?
  private var unknown: SourceRateLimiter?
  private var refusalLog: LogThrottle

  public init(settings: OverloadSettings = OverloadSettings(), nowMs: Int64 = 0) {
    self.settings = settings
    admission = AdmissionController(minRate: settings.minInvitesPerSecond)
    if settings.maxInvitesPerSecond > 0 {
      global = TokenBucket(
        rate: settings.maxInvitesPerSecond, burst: settings.maxInvitesPerSecond, nowMs: nowMs)
    }
    if settings.maxInvitesPerSourcePerSecond > 0 {
      perSource = SourceRateLimiter(
        rate: settings.maxInvitesPerSourcePerSecond, burst: settings.maxInvitesPerSourcePerSecond,
        capacity: settings.maxTrackedSources)
    }
    if settings.unknownSourceRequestsPerSecond > 0 {
      unknown = SourceRateLimiter(
        rate: settings.unknownSourceRequestsPerSecond, burst: settings.unknownSourceRequestsPerSecond,
        capacity: settings.maxTrackedSources)
    }
    refusalLog = LogThrottle(intervalMs: settings.logIntervalMs, capacity: settings.maxTrackedSources)
  }

  /// Whether new INVITEs are limited (some shed) because of the loop's load.
  public var isOverloaded: Bool { admission.isLimiting }

  /// New INVITEs per second admitted at most while the loop is overloaded; nil: no limit.
  public var admittedRateLimit: Double? { admission.limit }

  /// One sample of the core loop's load: how late its periodic probe ran
  /// (ms), how long the datagrams it reads now waited in the receive queues
  /// (ms) and, when known, the share of the last interval it spent handling
  /// messages (percent). `queuedNewCalls`: new INVITEs waiting behind the
  /// loop's other work now; with at least `backlogToStart` of them a sample
  /// over its limit starts limiting at once, without waiting for the
  /// smoothed signal (a flood's first 100 ms, admitted whole, would make a
  /// backlog of responses, ACKs and BYEs that every call then waits behind;
  /// a stall of the loop under light traffic leaves no such backlog).
  /// Returns true when limiting turned on or off.
  /// `cpuPercent`: the loop thread's CPU share over the last window, when
  /// a window ended with this sample (`AdmissionController`'s headroom rule
  /// uses the latest one).
  @discardableResult
  public func observeLoop(
    lagMs: Double, queueDelayMs: Double = 0, busyPercent: Double? = nil, queuedNewCalls: Int = 0,
    cpuPercent: Double? = nil
  ) -> Bool {
    if let cpuPercent { loopUtilization = min(max(0, cpuPercent), 100) / 100 }
    smoothedLagUs += (Int64(max(0, lagMs) * 1000) - smoothedLagUs) / 8
    smoothedQueueDelayUs += (Int64(max(0, queueDelayMs) * 1000) - smoothedQueueDelayUs) / 8
    if let busyPercent {
      smoothedBusy += (Int64(min(max(0, busyPercent), 100) * 100) - smoothedBusy) / 8
    }
    let (worst, load) = worstSignal(
      lagUs: smoothedLagUs, queueDelayUs: smoothedQueueDelayUs, busy: smoothedBusy)
    let latest = worstSignal(
      lagUs: Int64(max(0, lagMs) * 1000), queueDelayUs: Int64(max(0, queueDelayMs) * 1000),
      busy: busyPercent.map { Int64(min(max(0, $0), 100) * 100) } ?? smoothedBusy)
    let changed = admission.observe(
      load: load, latest: latest.load, backlog: queuedNewCalls >= Self.backlogToStart,
      utilization: loopUtilization)
    if !admission.isLimiting {
      loopCause = nil
    } else if load > 1 || loopCause == nil {
      loopCause = worst
    }
    if changed, admission.isLimiting { counters.overloadEpisodes += 1 }
    return changed
  }

  /// New calls queued that let a single sample over its limit start limiting.
  public static let backlogToStart = 32

  /// The signal furthest over (or nearest to) its limit, and how far: 1 is
  /// at the limit, 0 when every limit is off.
  private func worstSignal(lagUs: Int64, queueDelayUs: Int64, busy: Int64) -> (OverloadCause, load: Double) {
    let signals: [(OverloadCause, value: Int64, limit: Int64)] = [
      (.queueDelay, queueDelayUs, Int64(settings.maxQueueDelayMs) * 1000),
      (.loopLag, lagUs, Int64(settings.maxLoopLagMs) * 1000),
      (.loopBusy, busy, Int64(settings.maxLoopBusyPercent) * 100),
    ]
    var worst = (OverloadCause.queueDelay, load: 0.0)
    for (cause, value, limit) in signals where limit > 0 {
      let load = Double(value) / Double(limit)
      if load > worst.load { worst = (cause, load) }
    }
    return worst
  }

  /// A new INVITE from `source` (an IP address as text): nil to take it,
  /// or why it is shed. Only an admitted INVITE takes rate tokens.
  public func shedCause(invite source: String, nowMs: Int64) -> OverloadCause? {
    var cause = loopShedCause(nowMs: nowMs)
    if cause == nil {
      if perSource?.admit(source, nowMs: nowMs) == false {
        cause = .sourceRate
      } else if global?.tryTake(nowMs: nowMs) == false {
        cause = .globalRate
      } else {
        admission.admit(nowMs: nowMs)
      }
      if let cause { counters.shed[cause, default: 0] += 1 }
    }
    return cause
  }

  /// Whether the loop's load sheds the new INVITE now being handled: while
  /// limiting, one that waited too long (`inviteWaitUs`) or finds no token;
  /// nil otherwise (taking nothing: `shedCause` admits). A shed one is
  /// counted.
  public func loopShedCause(nowMs: Int64) -> OverloadCause? {
    let cause: OverloadCause
    if admission.isLimiting, settings.maxInviteWaitMs > 0,
      inviteWaitUs > Int64(settings.maxInviteWaitMs) * 1000
    {
      cause = .inviteWait
    } else if !admission.mayAdmit(nowMs: nowMs) {
      cause = loopCause ?? .queueDelay
    } else {
      return nil
    }
    admission.refuse()
    counters.shed[cause, default: 0] += 1
    return cause
  }

  /// How long after the last stateless 503 its ACK may still come (Timer H, 64·T1).
  public static let statelessAckWindowMs: Int64 = 32_000

  /// Whether ACKs of stateless 503s may still arrive (one was sent within
  /// the last `statelessAckWindowMs`): only then are ACKs checked for one.
  public private(set) var acksOfStatelessRepliesExpected = false
  private var lastStatelessReplyMs: Int64 = 0

  /// A 503 went out with no transaction (`ProxyCore.answerStatelessly`).
  public func notedStatelessReply(nowMs: Int64) {
    counters.statelessReplies += 1
    acksOfStatelessRepliesExpected = true
    lastStatelessReplyMs = nowMs
  }

  /// An ACK of a stateless 503 was absorbed.
  public func notedStatelessAck() { counters.statelessAcksAbsorbed += 1 }

  /// Called with the core's timers: stops looking for ACKs of stateless
  /// 503s once none can come.
  public func tick(nowMs: Int64) {
    if acksOfStatelessRepliesExpected, nowMs - lastStatelessReplyMs > Self.statelessAckWindowMs {
      acksOfStatelessRepliesExpected = false
    }
  }

  /// A request from a source no interconnect knows: whether it gets any
  /// answer or work at all (false: drop it, counted).
  public func answersUnknown(_ source: String, nowMs: Int64) -> Bool {
    guard unknown?.admit(source, nowMs: nowMs) != false else {
      counters.unknownSourceDropped += 1
      return false
    }
    return true
  }

  /// Counts an unknown source's request that was refused (answered 403) or dropped in silence.
  public func countUnknown(answered: Bool) {
    if answered { counters.unknownSourceRefused += 1 } else { counters.unknownSourceDropped += 1 }
  }

  /// Whether a refusal (of `source`, for `what`) gets a log line now, and
  /// how many like it were left out since the last one.
  public func logVerdict(source: String, what: String, nowMs: Int64) -> LogThrottle.Verdict {
    let verdict = refusalLog.note(source + " " + what, nowMs: nowMs)
    if verdict == .suppress { counters.logLinesSuppressed += 1 }
    return verdict
  }

  /// Sources tracked by the per-source tables (memory is bounded by `maxTrackedSources` each).
  public var trackedSources: Int { (perSource?.trackedCount ?? 0) + (unknown?.trackedCount ?? 0) }
}
