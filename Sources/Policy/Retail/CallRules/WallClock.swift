/// A local wall-clock reading in a rule owner's time zone: the ISO weekday
/// (1 = Monday) and the minute of the day. The caller turns an instant into
/// one with the owner's zone (daylight saving included); the rules only
/// compare.
public struct WallClock: Sendable, Equatable {
  public var weekday: Int
  public var minuteOfDay: Int

  public init(weekday: Int, minuteOfDay: Int) {
    self.weekday = weekday
    self.minuteOfDay = minuteOfDay
  }
}
