/// A time zone as offsets from UTC over time: the offset before the first
/// transition, then each transition (Unix seconds) with the offset from it
/// on. Built by the loader from the system's tz database
/// (`/usr/share/zoneinfo`); pure arithmetic here, no clock and no files.
public struct TimeZoneRules: Sendable, Equatable {
  /// The zone's name, e.g. `Europe/Berlin`.
  public var name: String
  /// Seconds east of UTC before the first transition.
  public var initialOffset: Int32
  /// Ascending Unix seconds at which `offsets[i]` starts.
  public var transitions: [Int64]
  public var offsets: [Int32]
  /// Where the zone's rule repeats forever (a daylight-saving rule from the
  /// tz file's footer): from this instant on, the transitions repeat every
  /// 400 Gregorian years (`gregorianCycleSeconds`: the calendar, weekdays
  /// included, repeats exactly), and `transitions` cover one whole cycle
  /// from here. Nil: the last offset stays.
  public var cycleStart: Int64?

  /// 146,097 days: after 400 Gregorian years every date falls on the same weekday again.
  public static let gregorianCycleSeconds: Int64 = 146_097 * 86_400

  public init(
    name: String, initialOffset: Int32, transitions: [Int64] = [], offsets: [Int32] = [],
    cycleStart: Int64? = nil
  ) {
    precondition(transitions.count == offsets.count, "TimeZoneRules: one offset per transition")
    self.name = name
    self.initialOffset = initialOffset
    self.transitions = transitions
    self.offsets = offsets
    self.cycleStart = cycleStart
  }

  public static let utc = TimeZoneRules(name: "UTC", initialOffset: 0)

  /// Seconds east of UTC in force at `unixSeconds`.
  public func offset(atUnixSeconds unixSeconds: Int64) -> Int32 {
    var unixSeconds = unixSeconds
    // Past one cycle of a repeating rule: the same instant 400·k years earlier.
    if let start = cycleStart, unixSeconds - start >= Self.gregorianCycleSeconds {
      unixSeconds = start + (unixSeconds - start) % Self.gregorianCycleSeconds
    }
    // The last transition at or before the instant.
    var low = 0
    var high = transitions.count
    while low < high {
      let middle = (low + high) / 2
      if transitions[middle] <= unixSeconds { low = middle + 1 } else { high = middle }
    }
    return low == 0 ? initialOffset : offsets[low - 1]
  }

  /// The wall-clock time in this zone at `unixMs`.
  public func localTime(atUnixMs unixMs: Int64) -> LocalTime {
    let seconds = unixMs >= 0 ? unixMs / 1000 : (unixMs - 999) / 1000
    return LocalTime(localSeconds: seconds + Int64(offset(atUnixSeconds: seconds)))
  }
}

/// A wall-clock time: the local day (days since 1970-01-01), its weekday and
/// the minute of the day.
public struct LocalTime: Sendable, Equatable {
  /// Days since 1970-01-01 in local time (negative before it).
  public var day: Int64
  /// ISO weekday: 1 = Monday ... 7 = Sunday.
  public var weekday: Int
  /// 0 ... 1439.
  public var minuteOfDay: Int

  public init(localSeconds: Int64) {
    day = localSeconds >= 0 ? localSeconds / 86_400 : (localSeconds - 86_399) / 86_400
    let secondOfDay = localSeconds - day * 86_400
    minuteOfDay = Int(secondOfDay / 60)
    // 1970-01-01 was a Thursday (ISO 4).
    let sinceMonday = ((day + 3) % 7 + 7) % 7
    weekday = Int(sinceMonday) + 1
  }

  /// Days since 1970-01-01 of a civil date (proleptic Gregorian).
  public static func day(year: Int, month: Int, day: Int) -> Int64 {
    let y = Int64(month <= 2 ? year - 1 : year)
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let m = Int64(month)
    let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }
}
