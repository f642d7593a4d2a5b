/// One log line per key (a source address and what happened) per interval,
/// with the number of events since the last line; bounded memory (the
/// table holds at most `capacity` keys and forgets those whose interval
/// ended). Time is a parameter.
public struct LogThrottle: Sendable {
  /// What to do with one event.
  public enum Verdict: Sendable, Equatable {
    /// Write a line; `suppressed` events of this key were left out since the last one.
    case log(suppressed: Int)
    case suppress
  }

  private struct Entry: Sendable {
    var loggedAtMs: Int64
    var suppressed: Int
  }

  public let intervalMs: Int64
  public let capacity: Int
  private var entries: [String: Entry] = [:]

  public init(intervalMs: Int64, capacity: Int = 4_096) {
    self.intervalMs = max(0, intervalMs)
    self.capacity = max(1, capacity)
  }

  public mutating func note(_ key: String, nowMs: Int64) -> Verdict {
    if var entry = entries[key] {
      guard nowMs - entry.loggedAtMs >= intervalMs || nowMs < entry.loggedAtMs else {
        entry.suppressed += 1
        entries[key] = entry
        return .suppress
      }
      entries[key] = Entry(loggedAtMs: nowMs, suppressed: 0)
      return .log(suppressed: entry.suppressed)
    }
    if entries.count >= capacity {
      entries = entries.filter { nowMs - $0.value.loggedAtMs < intervalMs }
      // Still full: a flood from very many sources; say so once per interval, under one key.
      if entries.count >= capacity { return note("*", nowMs: nowMs, overflow: true) }
    }
    entries[key] = Entry(loggedAtMs: nowMs, suppressed: 0)
    return .log(suppressed: 0)
  }

  private mutating func note(_ key: String, nowMs: Int64, overflow: Bool) -> Verdict {
    guard var entry = entries[key] else {
      entries[key] = Entry(loggedAtMs: nowMs, suppressed: 0)
      return .log(suppressed: 0)
    }
    if nowMs - entry.loggedAtMs >= intervalMs {
      entries[key] = Entry(loggedAtMs: nowMs, suppressed: 0)
      return .log(suppressed: entry.suppressed)
    }
    entry.suppressed += 1
    entries[key] = entry
    return .suppress
  }

  public var trackedCount: Int { entries.count }
}
