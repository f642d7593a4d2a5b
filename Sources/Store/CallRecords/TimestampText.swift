/// PostgreSQL `timestamptz` input text for a Unix time in milliseconds, in
/// UTC: `2024-02-29 23:59:59.123+00`. Exact (no floating point), proleptic
/// Gregorian calendar (Howard Hinnant's civil-from-days).
enum TimestampText {
  static func utc(unixMilliseconds: Int64) -> String {
    let millisecondsPerDay: Int64 = 86_400_000
    var days = unixMilliseconds / millisecondsPerDay
    var rest = unixMilliseconds % millisecondsPerDay
    if rest < 0 {
      rest += millisecondsPerDay
      days -= 1
    }
    // civil_from_days
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

    let hour = rest / 3_600_000
    let minute = rest / 60_000 % 60
    let second = rest / 1000 % 60
    let millisecond = rest % 1000
    var text = year >= 1 ? pad(year, 4) : pad(1 - year, 4)
    text += "-" + pad(month, 2) + "-" + pad(day, 2) + " " + pad(hour, 2) + ":" + pad(minute, 2) + ":"
    text += pad(second, 2) + "." + pad(millisecond, 3) + "+00"
    return year >= 1 ? text : text + " BC"
  }

  private static func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  }
}
