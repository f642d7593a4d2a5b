/// One table of `AuthenticationThrottle` (sources, or users): entries by
/// key, bounded by `capacity`, forgotten when quiet.
struct ThrottleTable {
  private let configuration: AuthenticationThrottle.Configuration
  private var entries: [String: ThrottleEntry] = [:]
  private var made: UInt64 = 0

  init(configuration: AuthenticationThrottle.Configuration) {
    self.configuration = configuration
  }

  var count: Int { entries.count }

  /// The live entry of `key`, dropping it first if it is forgotten.
  private mutating func entry(_ key: String, nowMs: Int64) -> ThrottleEntry? {
    guard let entry = entries[key] else { return nil }
    guard !entry.isForgotten(nowMs: nowMs, forgetMs: configuration.forgetMs) else {
      entries[key] = nil
      return nil
    }
    return entry
  }

  mutating func isBlocked(_ key: String, nowMs: Int64) -> Bool {
    entry(key, nowMs: nowMs)?.isBlocked(nowMs: nowMs) ?? false
  }

  /// Whether `source` authenticated as this user within the known lifetime
  /// and has not failed `failureLimit` times since.
  mutating func isKnown(_ key: String, source: String, nowMs: Int64) -> Bool {
    guard let known = entry(key, nowMs: nowMs)?.known[source] else { return false }
    return nowMs - known.lastSuccessMs < ThrottleEntry.knownLifetimeMs
  }

  /// A request dropped while `key` is blocked; a report if one is due.
  mutating func noteDrop(_ key: String, nowMs: Int64) -> ThrottleEntry.ReportFigures? {
    guard var entry = entries[key] else { return nil }
    entry.droppedSinceReport += 1
    entry.lastEventMs = nowMs
    let report = entry.reportIfDue(nowMs: nowMs, intervalMs: configuration.logIntervalMs)
    entries[key] = entry
    return report
  }

  /// Counts a failure of `key` (a source: `name` is the user tried). When
  /// it reaches the limit within the window, a block starts (`blocked`),
  /// twice as long as the last one, and a report if one is due.
  mutating func recordFailure(_ key: String, name: String?, nowMs: Int64) -> (
    blocked: Bool, report: ThrottleEntry.ReportFigures?
  ) {
    var entry = self.entry(key, nowMs: nowMs) ?? newEntry(nowMs: nowMs)
    if nowMs - entry.windowStartMs >= configuration.failureWindowMs {
      entry.windowStartMs = nowMs
      entry.failures = 0
    }
    entry.failures += 1
    entry.lastEventMs = nowMs
    if let name, !entry.names.contains(name), entry.names.count < ThrottleEntry.namesKept {
      entry.names.append(name)
    }
    var blocked = false
    var report: ThrottleEntry.ReportFigures?
    if entry.failures >= configuration.failureLimit, !entry.isBlocked(nowMs: nowMs) {
      let shift = min(entry.level, 40)
      let length = min(configuration.maxBlockMs, configuration.blockMs << Int64(shift))
      entry.blockedUntilMs = nowMs + max(length, 1)
      entry.level += 1
      blocked = true
      report = entry.reportIfDue(nowMs: nowMs, intervalMs: configuration.logIntervalMs)
      entry.failures = 0
      entry.windowStartMs = nowMs
    }
    store(key, entry, nowMs: nowMs)
    return (blocked, report)
  }

  /// A success of user `key` from `source`: its failure count restarts
  /// (not its back-off level) and `source` becomes known.
  mutating func recordSuccess(_ key: String, source: String, nowMs: Int64) {
    var entry = self.entry(key, nowMs: nowMs) ?? newEntry(nowMs: nowMs)
    entry.failures = 0
    entry.windowStartMs = nowMs
    entry.lastEventMs = nowMs
    entry.known[source] = ThrottleEntry.Known(lastSuccessMs: nowMs, failures: 0)
    if entry.known.count > ThrottleEntry.knownKept,
      let oldest = entry.known.min(by: { $0.value.lastSuccessMs < $1.value.lastSuccessMs })?.key
    {
      entry.known[oldest] = nil
    }
    store(key, entry, nowMs: nowMs)
  }

  /// A failure of user `key` from `source`: a known source that fails
  /// `failureLimit` times is known no more.
  mutating func knownPairFailed(_ key: String, source: String) {
    guard var known = entries[key]?.known[source] else { return }
    known.failures += 1
    entries[key]?.known[source] = known.failures >= configuration.failureLimit ? nil : known
  }

  private mutating func newEntry(nowMs: Int64) -> ThrottleEntry {
    made += 1
    return ThrottleEntry(nowMs: nowMs, sequence: made)
  }

  /// Stores `entry`, making room first when the table is full: forgotten
  /// entries go, then the oldest that are neither blocked nor hold a known
  /// source, then the oldest, down to three quarters of the capacity (so
  /// the sort is paid once per quarter of the capacity).
  private mutating func store(_ key: String, _ entry: ThrottleEntry, nowMs: Int64) {
    if entries[key] == nil, entries.count >= configuration.capacity {
      let target = configuration.capacity * 3 / 4
      let live = entries.filter { !$0.value.isForgotten(nowMs: nowMs, forgetMs: configuration.forgetMs) }
      // Cut first: the unprotected, then the least recent, then the oldest.
      typealias Rank = (key: String, protected: Bool, lastEventMs: Int64, sequence: UInt64)
      let ranks: [Rank] = live.map { key, entry in
        let protected = entry.isBlocked(nowMs: nowMs) || entry.hasLiveKnown(nowMs: nowMs)
        return (key, protected, entry.lastEventMs, entry.sequence)
      }
      let order = ranks.sorted { (a: Rank, b: Rank) -> Bool in
        if a.protected != b.protected { return !a.protected }
        if a.lastEventMs != b.lastEventMs { return a.lastEventMs < b.lastEventMs }
        return a.sequence < b.sequence
      }
      var kept: [String: ThrottleEntry] = [:]
      kept.reserveCapacity(configuration.capacity)
      for rank in order.suffix(target) { kept[rank.key] = live[rank.key] }
      entries = kept
    }
    entries[key] = entry
  }
}
