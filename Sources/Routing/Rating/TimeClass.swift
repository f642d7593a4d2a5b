/// One window of a rating plan's time class (`rating_plan_time_classes`):
/// on the given weekdays, from `startMinute` up to (not including)
/// `endMinute`, in the plan's time zone. A class such as `offpeak` may have
/// several windows (evenings and mornings); windows of one plan never
/// overlap (the loader refuses that), so a moment has at most one class.
public struct TimeClassWindow: Sendable, Equatable {
  /// The class's name, as rates name it (`peak`, `offpeak`, `weekend` ...).
  public var name: String
  /// Bit `d - 1` set for ISO weekday `d` (1 = Monday ... 7 = Sunday).
  public var weekdays: UInt8
  /// 0 ... 1439.
  public var startMinute: Int
  /// 1 ... 1440, after `startMinute`.
  public var endMinute: Int

  /// Nil when a weekday is outside 1...7, there are none, or the times do
  /// not make a window within one day.
  public init?(name: String, weekdays: [Int], startMinute: Int, endMinute: Int) {
    guard !weekdays.isEmpty, weekdays.allSatisfy({ (1...7).contains($0) }), (0..<1440).contains(startMinute),
      (1...1440).contains(endMinute), startMinute < endMinute
    else { return nil }
    self.name = name
    self.weekdays = weekdays.reduce(0) { $0 | UInt8(1) << ($1 - 1) }
    self.startMinute = startMinute
    self.endMinute = endMinute
  }

  public func contains(_ time: LocalTime) -> Bool {
    weekdays & (UInt8(1) << (time.weekday - 1)) != 0 && time.minuteOfDay >= startMinute
      && time.minuteOfDay < endMinute
  }

  /// Whether the two windows share a minute of some weekday.
  public func overlaps(_ other: TimeClassWindow) -> Bool {
    weekdays & other.weekdays != 0 && startMinute < other.endMinute && other.startMinute < endMinute
  }
}

/// A period exception (`rating_period_exceptions`): on this local date the
/// whole day belongs to `timeClass` (a holiday billed as `weekend`).
public struct PeriodException: Sendable, Equatable {
  /// Days since 1970-01-01 (see `LocalTime.day(year:month:day:)`).
  public var day: Int64
  public var timeClass: String

  public init(day: Int64, timeClass: String) {
    self.day = day
    self.timeClass = timeClass
  }
}
