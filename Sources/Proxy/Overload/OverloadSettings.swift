/// When new calls are shed and how unknown sources are limited
/// (`[overload]` in the configuration; docs/overload.md). A limit of 0 is off.
public struct OverloadSettings: Sendable, Equatable {
  /// Shed new INVITEs while the smoothed lateness of the core loop's
  /// periodic probe is above this many ms.
  public var maxLoopLagMs: Int
  /// Shed new INVITEs while the smoothed age of the datagrams the core loop
  /// reads (the time it needs to drain its UDP receive queues) is above
  /// this many ms.
  public var maxQueueDelayMs: Int
  /// Shed new INVITEs while the smoothed share of wall time the core loop
  /// spends handling messages is above this percentage (a loop that is
  /// always busy is one whose input queue is growing).
  public var maxLoopBusyPercent: Int
  /// While admission is limited, a new INVITE that waited longer than this
  /// many ms in the core's new-call queue is shed whatever the rate: its
  /// caller has waited long enough, and the calls admitted keep a bounded
  /// setup time.
  public var maxInviteWaitMs: Int
  /// While the loop is overloaded, new INVITEs are admitted at a rate an
  /// AIMD controller sets (`AdmissionController`); it never goes below this
  /// many per second.
  public var minInvitesPerSecond: Int
  /// New INVITEs per second, all sources together.
  public var maxInvitesPerSecond: Int
  /// New INVITEs per second from one source address.
  public var maxInvitesPerSourcePerSecond: Int
  /// Requests per second (with a burst of as many) that one unknown source
  /// address gets an answer to, or any work for; the rest are dropped.
  public var unknownSourceRequestsPerSecond: Int
  /// The Retry-After of a shed INVITE's 503.
  public var retryAfterSeconds: Int
  /// One log line per source (and reason) per this many ms.
  public var logIntervalMs: Int64
  /// Most source addresses each per-source table tracks.
  public var maxTrackedSources: Int

  public init(
    maxLoopLagMs: Int = 0, maxQueueDelayMs: Int = 0, maxLoopBusyPercent: Int = 0,
    maxInviteWaitMs: Int = 0, minInvitesPerSecond: Int = 10, maxInvitesPerSecond: Int = 0,
    maxInvitesPerSourcePerSecond: Int = 0, unknownSourceRequestsPerSecond: Int = 0,
    retryAfterSeconds: Int = 5,
    logIntervalMs: Int64 = 60_000, maxTrackedSources: Int = 16_384
  ) {
    self.maxLoopLagMs = maxLoopLagMs
    self.maxQueueDelayMs = maxQueueDelayMs
    self.maxLoopBusyPercent = maxLoopBusyPercent
    self.maxInviteWaitMs = maxInviteWaitMs
    self.minInvitesPerSecond = minInvitesPerSecond
    self.maxInvitesPerSecond = maxInvitesPerSecond
    self.maxInvitesPerSourcePerSecond = maxInvitesPerSourcePerSecond
    self.unknownSourceRequestsPerSecond = unknownSourceRequestsPerSecond
    self.retryAfterSeconds = retryAfterSeconds
    self.logIntervalMs = logIntervalMs
    self.maxTrackedSources = maxTrackedSources
  }
}
