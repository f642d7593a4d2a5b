/// `call_rules.schedule` (migration 0022): the local-time windows in which
/// a rule applies, in its owner's time zone (`users.time_zone`, UTC when
/// NULL). A window whose end is before its start runs across midnight and
/// belongs to the day it starts on.
public struct CallRuleSchedule: Sendable, Equatable {
  public struct Window: Sendable, Equatable {
    /// ISO weekdays, 1 = Monday ... 7 = Sunday, on which the window opens.
    public var days: Set<Int>
    /// Minutes after local midnight: start inclusive, end exclusive
    /// (1440 = the end of the day). `end < start`: across midnight.
    public var startMinute: Int
    public var endMinute: Int

    public init(days: Set<Int>, startMinute: Int, endMinute: Int) {
      self.days = days
      self.startMinute = startMinute
      self.endMinute = endMinute
    }

    /// Why the window is unusable, or nil.
    var problem: String? {
      if days.isEmpty { return "a window has no days" }
      if let day = days.first(where: { !(1...7).contains($0) }) { return "weekday \(day) is not 1...7" }
      if !(0..<1440).contains(startMinute) || !(1...1440).contains(endMinute) {
        return "a time is out of range"
      }
      if startMinute == endMinute { return "a window starts and ends at the same time" }
      return nil
    }

    func isOpen(at clock: WallClock) -> Bool {
      if startMinute < endMinute {
        return days.contains(clock.weekday) && clock.minuteOfDay >= startMinute
          && clock.minuteOfDay < endMinute
      }
      // Across midnight: the evening of an opening day, or the morning after one.
      let yesterday = clock.weekday == 1 ? 7 : clock.weekday - 1
      return (days.contains(clock.weekday) && clock.minuteOfDay >= startMinute)
        || (days.contains(yesterday) && clock.minuteOfDay < endMinute)
    }
  }

  public var windows: [Window]

  public init(windows: [Window]) { self.windows = windows }

  /// Why the schedule is unusable, or nil.
  public var problem: String? {
    if windows.isEmpty { return "schedule has no windows" }
    return windows.lazy.compactMap(\.problem).first
  }

  public func applies(at clock: WallClock) -> Bool { windows.contains { $0.isOpen(at: clock) } }

  /// "HH:MM" (00:00 to 24:00) as minutes after midnight, else nil.
  public static func minutes(_ text: String) -> Int? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]),
      let minutes = Int(parts[1]), (0...24).contains(hours), (0...59).contains(minutes),
      hours < 24 || minutes == 0
    else { return nil }
    return hours * 60 + minutes
  }
}
