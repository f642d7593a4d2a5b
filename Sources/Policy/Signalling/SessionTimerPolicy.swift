import SIPCore

/// Session timers (RFC 4028) as the switch applies them as a proxy: the interval it asks
/// for and the smallest it accepts.
public struct SessionTimerPolicy: Sendable, Equatable {
  /// `session_timer_interval`: the Session-Expires, in seconds, the switch inserts into
  /// an INVITE that has none (RFC 4028 recommends 1800).
  public var interval: Int
  /// The smallest Session-Expires the switch accepts, in seconds; RFC 4028 §4 sets 90
  /// as the least any element may ask for.
  public var minSE: Int

  /// RFC 4028 §4: no element may ask for less than 90 seconds.
  public static let smallestMinSE = 90

  /// Requires `interval >= minSE >= 90`.
  public init(interval: Int, minSE: Int = 90) throws(SignallingSettingsError) {
    guard minSE >= Self.smallestMinSE else {
      throw SignallingSettingsError(
        "Min-SE \(minSE) is below the RFC 4028 minimum of \(Self.smallestMinSE) seconds")
    }
    guard interval >= minSE else {
      throw SignallingSettingsError(
        "session_timer_interval: \(interval) is below the minimum of \(minSE) seconds")
    }
    self.interval = interval
    self.minSE = minSE
  }
}

/// What to do with an INVITE's session timer headers.
public enum SessionTimerDecision: Sendable, Equatable {
  /// Answer 422 Session Interval Too Small with `Min-SE: minSE` (RFC 4028 §6).
  case tooSmall(minSE: Int)
  /// Header values to set on the forwarded INVITE, replacing any there; `nil` leaves
  /// the header as it is.
  case forward(sessionExpires: String?, minSE: String?)
}

extension SessionTimerPolicy {
  /// RFC 4028 §8.1 at a proxy, for an INVITE's Session-Expires and Min-SE (raw header
  /// values, `nil` when absent):
  /// - no readable Session-Expires: insert `interval` (at least the request's Min-SE),
  ///   without a `refresher` parameter, which is not the proxy's to choose;
  /// - Session-Expires `>= minSE`: kept;
  /// - smaller, and the UAC supports timers (`Supported: timer`): `tooSmall`;
  /// - smaller, and the UAC does not (a 422 would end the call): raised to the larger
  ///   of `minSE` and the request's Min-SE, its parameters kept.
  /// In every forwarded case Min-SE is set to `minSE` when the request has none, an
  /// unreadable one or a smaller one.
  public func inspectRequest(sessionExpires: String?, minSE: String?, uacSupportsTimer: Bool = true)
    -> SessionTimerDecision
  {
    let requestMinSE = minSE.flatMap(Self.deltaSeconds(of:))
    let floor = max(self.minSE, requestMinSE ?? 0)
    let minSEToSet = (requestMinSE ?? 0) < self.minSE ? String(self.minSE) : nil
    guard let sessionExpires, let requested = Self.deltaSeconds(of: sessionExpires) else {
      return .forward(sessionExpires: String(max(interval, floor)), minSE: minSEToSet)
    }
    if requested >= self.minSE { return .forward(sessionExpires: nil, minSE: minSEToSet) }
    if uacSupportsTimer { return .tooSmall(minSE: self.minSE) }
    return .forward(
      sessionExpires: Self.replacingDeltaSeconds(of: sessionExpires, with: floor), minSE: minSEToSet)
  }

  /// The session interval in force, in seconds, from the Session-Expires of the 2xx
  /// (after `sessionExpiresForResponse` was applied); `nil` when it has none (or an
  /// unreadable or zero one): then no session timer runs.
  public static func negotiatedInterval(responseSessionExpires: String?) -> Int? {
    guard let value = responseSessionExpires.flatMap(deltaSeconds(of:)), value > 0 else { return nil }
    return value
  }

  /// RFC 4028 §8.2: a 2xx without Session-Expires to an INVITE that was forwarded with
  /// one, from a UAC that supports timers, gets `"<interval>;refresher=uac"` (and the
  /// proxy adds `timer` to its Require). `nil`: leave the 2xx as it is.
  public static func sessionExpiresForResponse(
    responseSessionExpires: String?, forwardedSessionExpires: String?, uacSupportsTimer: Bool
  ) -> String? {
    guard responseSessionExpires == nil, uacSupportsTimer,
      let interval = forwardedSessionExpires.flatMap(deltaSeconds(of:)), interval > 0
    else { return nil }
    return "\(interval);refresher=uac"
  }

  /// RFC 4028 §10: the time after the last refresh, in ms, at which the session counts
  /// as dead: `interval - min(32, interval / 3)` seconds.
  public static func deadlineMs(interval: Int) -> Int64 {
    Int64(interval - min(32, interval / 3)) * 1000
  }

  /// The delta-seconds of a Session-Expires or Min-SE value (`1800;refresher=uac`),
  /// `nil` when it is not 1 to 10 digits within 0…2³²−1.
  static func deltaSeconds(of value: String) -> Int? {
    let number = value.prefix { $0 != ";" }.trimmingWhitespace()
    guard (1...10).contains(number.utf8.count), number.utf8.allSatisfy({ (48...57).contains($0) }),
      let seconds = Int(number), seconds <= Int(UInt32.max)
    else { return nil }
    return seconds
  }

  private static func replacingDeltaSeconds(of value: String, with seconds: Int) -> String {
    guard let semicolon = value.firstIndex(of: ";") else { return String(seconds) }
    return String(seconds) + value[semicolon...]
  }
}
