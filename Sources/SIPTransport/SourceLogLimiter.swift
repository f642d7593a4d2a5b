import NIOConcurrencyHelpers
import NIOCore

/// One log line per source address and event per interval, never one per packet
/// or per connection: a flood from one address costs one line a minute.
final class SourceLogLimiter: Sendable {
  /// Sources remembered; past this, expired entries go, then all of them.
  static let capacity = 10_000

  private struct Key: Hashable {
    var event: String
    var host: String
  }

  private struct Entry {
    var logged: NIODeadline
    var suppressed: Int
  }

  private let interval: TimeAmount
  private let entries = NIOLockedValueBox([Key: Entry]())

  init(interval: TimeAmount) {
    self.interval = interval
  }

  /// Whether to log `event` for `host` now. If so, returns how many were not
  /// logged since the last line; `nil` means stay quiet.
  func admit(_ event: String, host: String, now: NIODeadline) -> Int? {
    let key = Key(event: event, host: host)
    return self.entries.withLockedValue { entries in
      if var entry = entries[key], now < entry.logged + self.interval {
        entry.suppressed += 1
        entries[key] = entry
        return nil
      }
      let suppressed = entries[key]?.suppressed ?? 0
      if entries[key] == nil, entries.count >= Self.capacity {
        entries = entries.filter { now < $0.value.logged + self.interval }
        if entries.count >= Self.capacity { entries.removeAll() }
      }
      entries[key] = Entry(logged: now, suppressed: 0)
      return suppressed
    }
  }

  /// Sources and events remembered now.
  var count: Int { self.entries.withLockedValue { $0.count } }
}
