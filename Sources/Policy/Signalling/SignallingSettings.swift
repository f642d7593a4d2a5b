/// The parsed row of `interconnect_signalling_settings` (without `privacy_method`,
/// which translation handles).
public struct SignallingSettings: Sendable, Equatable {
  /// Session timers (RFC 4028); `nil` = disabled.
  public var sessionTimer: SessionTimerPolicy?
  /// Longest an answered call may last, in seconds; `nil` = unlimited.
  public var maxCallDurationSeconds: Int?
  /// `early_media_enabled`: early media (18x with SDP) passes.
  public var earlyMedia: Bool
  /// `rel100_enabled`: reliable provisional responses (RFC 3262, `100rel`) pass.
  public var reliableProvisional: Bool
  /// `release_cause_mapping`.
  public var releaseCauses: ReleaseCauseMapping

  /// The column defaults: no session timer, no duration limit, early media on,
  /// 100rel off, no release cause mapping.
  public static let defaults = SignallingSettings()

  public init(
    sessionTimer: SessionTimerPolicy? = nil, maxCallDurationSeconds: Int? = nil, earlyMedia: Bool = true,
    reliableProvisional: Bool = false, releaseCauses: ReleaseCauseMapping = .identity
  ) {
    self.sessionTimer = sessionTimer
    self.maxCallDurationSeconds = maxCallDurationSeconds
    self.earlyMedia = earlyMedia
    self.reliableProvisional = reliableProvisional
    self.releaseCauses = releaseCauses
  }
}

extension SignallingSettings {
  /// Reads one row. A setting that is enabled needs a valid value: a missing interval or
  /// duration, an interval below 90 seconds, a duration below 1 second or an unreadable
  /// `release_cause_mapping` is an error naming the column. The value of a disabled
  /// setting is not looked at.
  public static func parse(
    sessionTimerEnabled: Bool, sessionTimerInterval: Int?, maxCallDurationEnabled: Bool,
    maxCallDuration: Int?, earlyMediaEnabled: Bool, rel100Enabled: Bool, releaseCauseMapping: String?
  ) throws(SignallingSettingsError) -> SignallingSettings {
    var sessionTimer: SessionTimerPolicy?
    if sessionTimerEnabled {
      guard let sessionTimerInterval else {
        throw SignallingSettingsError("session_timer_interval: missing while session_timer_enabled is true")
      }
      sessionTimer = try SessionTimerPolicy(interval: sessionTimerInterval)
    }
    var maxCallDurationSeconds: Int?
    if maxCallDurationEnabled {
      guard let maxCallDuration else {
        throw SignallingSettingsError("max_call_duration: missing while max_call_duration_enabled is true")
      }
      guard maxCallDuration > 0 else {
        throw SignallingSettingsError(
          "max_call_duration: \(maxCallDuration) is not a positive number of seconds")
      }
      maxCallDurationSeconds = maxCallDuration
    }
    return SignallingSettings(
      sessionTimer: sessionTimer, maxCallDurationSeconds: maxCallDurationSeconds,
      earlyMedia: earlyMediaEnabled,
      reliableProvisional: rel100Enabled,
      releaseCauses: try ReleaseCauseMapping(parsingJSON: releaseCauseMapping))
  }
}
