import SIPCore
import SIPTransaction

/// What the proxy core needs to know about itself and its timers.
public struct ProxyConfiguration: Sendable {
  /// The addresses the transport layer bound (after port 0 was resolved).
  public var localEndpoints: [Endpoint]
  /// Host put in Via and Record-Route instead of the listen address (NAT, DNS name).
  public var advertisedHost: String?
  /// Other host names that mean "this switch" in a Request-URI or Route.
  public var aliases: [String]
  public var timers: TimerValues
  /// Timer C (§16.6 step 11): how long a forwarded INVITE may go without a
  /// final response. When it fires the branch is cancelled and the caller gets
  /// 408. Not reset by provisional responses: it is the no-answer timeout.
  public var inviteTimeoutMs: Int64
  /// How long a target may stay silent (no provisional or final response)
  /// before the call fails over to the next one, as on a 408. 0 leaves it to
  /// timer B (64*T1). Carriers want seconds here, not half a minute.
  public var failoverTimeoutMs: Int64
  /// Max-Forwards put on a request that arrives without one (§16.6 step 3).
  public var defaultMaxForwards: Int
  /// The Server header of local responses and the User-Agent of requests
  /// the switch sends itself (its BYEs); empty (the default) sends none.
  public var serverHeader: String
  /// Retry-After on the 503 sent to new INVITEs while draining.
  public var retryAfterSeconds: Int
  /// When new INVITEs are shed and how unknown sources are limited.
  public var overload: OverloadSettings
  /// The longest a dialog lives from its answer when nothing else bounds it
  /// (no maximum call duration, no session timer, RFC 4028): then it is ended
  /// as by the switch (BYE both ways when it can, its record either way).
  /// Covers dialogs whose BYE was lost. Default 4 hours.
  public var maxDialogLifetimeMs: Int64
  /// OPTIONS probes of supplier interconnects (`[health]`).
  public var health: SupplierHealthSettings

  public init(
    localEndpoints: [Endpoint], advertisedHost: String? = nil, aliases: [String] = [],
    timers: TimerValues = .rfc3261, inviteTimeoutMs: Int64 = 180_000, failoverTimeoutMs: Int64 = 0,
    defaultMaxForwards: Int = 70,
    serverHeader: String = "", retryAfterSeconds: Int = 30, overload: OverloadSettings = OverloadSettings(),
    maxDialogLifetimeMs: Int64 = 14_400_000, health: SupplierHealthSettings = SupplierHealthSettings()
  ) {
    self.health = health
    self.localEndpoints = localEndpoints
    self.advertisedHost = advertisedHost
    self.aliases = aliases
    self.timers = timers
    self.inviteTimeoutMs = inviteTimeoutMs
    self.failoverTimeoutMs = failoverTimeoutMs
    self.defaultMaxForwards = defaultMaxForwards
    self.serverHeader = serverHeader
    self.retryAfterSeconds = retryAfterSeconds
    self.overload = overload
    self.maxDialogLifetimeMs = maxDialogLifetimeMs
  }
}
