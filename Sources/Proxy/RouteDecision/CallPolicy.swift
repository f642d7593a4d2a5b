import Policy

/// What the proxy core enforces on a call after routing, from the ingress
/// interconnect's settings (and, for the timers, the tighter of both sides).
public struct CallPolicy: Sendable, Equatable {
  /// An answered call is ended with BYE to both sides after this long.
  public var maxDurationMs: Int64?
  /// Session timers (RFC 4028) are watched: a call whose session is not
  /// refreshed by its deadline is ended with BYE to both sides.
  public var sessionTimer: Bool
  /// false: a 18x with SDP reaches the caller as a 180 without it.
  public var earlyMedia: Bool
  /// The customer's mapping of the final status it receives.
  public var releaseCauses: ReleaseCauseMapping
  /// Live credit is reserved for the call, which ends when it runs out.
  public var creditControl: Bool

  public init(
    maxDurationMs: Int64? = nil, sessionTimer: Bool = false, earlyMedia: Bool = true,
    releaseCauses: ReleaseCauseMapping = .identity, creditControl: Bool = false
  ) {
    self.maxDurationMs = maxDurationMs
    self.sessionTimer = sessionTimer
    self.earlyMedia = earlyMedia
    self.releaseCauses = releaseCauses
    self.creditControl = creditControl
  }

  /// The switch may have to end the call itself, so the dialog keeps what a BYE needs.
  var endsCalls: Bool { maxDurationMs != nil || sessionTimer || creditControl }
}
