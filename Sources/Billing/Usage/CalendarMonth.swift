/// A calendar month in UTC, the period of a plan's monthly call limit
/// (Migration 0020): written `YYYY-MM` as seed 003's `usage_tracking.month_year`.
public struct CalendarMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var year: Int
  /// 1...12.
  public var month: Int

  public init(year: Int, month: Int) {
    self.year = year
    self.month = month
  }

  /// The UTC month of `unixMs` (milliseconds since the Unix epoch).
  public init(unixMs: Int64) {
    // Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil inverse).
    let days = Int((unixMs >= 0 ? unixMs : unixMs - 86_399_999) / 86_400_000)
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shifted = (5 * dayOfYear + 2) / 153
    month = shifted < 10 ? shifted + 3 : shifted - 9
    year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  }

  /// `YYYY-MM`, or nil when `text` is not one.
  public init?(text: String) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
      let month = Int(parts[1]), (1...12).contains(month)
    else { return nil }
    self.init(year: year, month: month)
  }

  /// `YYYY-MM`.
  public var description: String {
    let year = String(year)
    let month = String(month)
    return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-"
      + (month.count < 2 ? "0" : "") + month
  }

  public static func < (lhs: CalendarMonth, rhs: CalendarMonth) -> Bool {
    (lhs.year, lhs.month) < (rhs.year, rhs.month)
  }
}
