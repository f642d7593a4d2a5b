/// What `AuthenticationThrottle` remembers of one source address or one
/// user: its failures in the current window, its block and back-off level,
/// what to report next, and (a user) the sources it authenticated from.
struct ThrottleEntry {
  /// Users kept per source for its report.
  static let namesKept = 5
  /// Known sources kept per user, each for `knownLifetimeMs` after its last
  /// success (a day: the longest registration a phone is given by default).
  static let knownKept = 8
  static let knownLifetimeMs: Int64 = 86_400_000

  /// The figures of one report (log line).
  struct ReportFigures: Equatable {
    var failures: Int
    var dropped: Int
    var blockedSeconds: Int64
    var names: [String]
  }

  struct Known {
    var lastSuccessMs: Int64
    /// Failures of this (user, source) pair since its last success.
    var failures: Int
  }

  /// When the table made it (a counter): breaks ties of `lastEventMs` when
  /// the table is cut, so that what stays does not follow the hash order
  /// (keeping one end of a dictionary's order clusters the next table).
  var sequence: UInt64
  var windowStartMs: Int64
  var failures = 0
  var blockedUntilMs: Int64 = 0
  /// Blocks started so far: the next lasts `blockMs << level` (capped).
  var level = 0
  /// The last failure, drop or success: an entry quiet past `forgetMs` is forgotten.
  var lastEventMs: Int64
  var lastReportMs: Int64?
  var droppedSinceReport = 0
  var names: [String] = []
  var known: [String: Known] = [:]

  init(nowMs: Int64, sequence: UInt64) {
    self.sequence = sequence
    windowStartMs = nowMs
    lastEventMs = nowMs
  }

  func isBlocked(nowMs: Int64) -> Bool { blockedUntilMs > nowMs }

  func hasLiveKnown(nowMs: Int64) -> Bool {
    known.values.contains { nowMs - $0.lastSuccessMs < Self.knownLifetimeMs }
  }

  /// Forgotten: quiet for `forgetMs`, not blocked, no known source to keep.
  func isForgotten(nowMs: Int64, forgetMs: Int64) -> Bool {
    nowMs - lastEventMs >= forgetMs && !isBlocked(nowMs: nowMs) && !hasLiveKnown(nowMs: nowMs)
  }

  /// A report now, if none was made within `intervalMs` (then the counts restart).
  mutating func reportIfDue(nowMs: Int64, intervalMs: Int64) -> ReportFigures? {
    if let last = lastReportMs, nowMs - last < intervalMs { return nil }
    lastReportMs = nowMs
    defer { droppedSinceReport = 0 }
    return ReportFigures(
      failures: failures, dropped: droppedSinceReport,
      blockedSeconds: max(0, (blockedUntilMs - nowMs + 999) / 1000), names: names)
  }
}
