/// An instant written in ISO 8601 with its offset, as the rate command reads
/// it: `2026-12-07T08:00:00Z`, `2026-12-07T09:00:00.250+01:00`, and the form
/// PostgreSQL prints a `timestamptz` in (`2026-12-07 08:00:00.25+00`).
/// `YYYY-MM-DD`, `T` or one space, `hh:mm[:ss[.fraction]]`, then `Z` or
/// `±hh[[:]mm]`. A zone is required: without one the text names no
/// instant. A fraction beyond milliseconds is cut (the switch keeps instants
/// to the millisecond, as the call pipeline reads its clock).
public enum ISO8601Instant {
  /// Milliseconds since the Unix epoch, or nil when `text` is not such an instant.
  public static func unixMs(_ text: some StringProtocol) -> Int64? {
    var reader = Reader(bytes: Array(text.utf8))
    guard let year = reader.digits(4), reader.skip("-"), let month = reader.digits(2), reader.skip("-"),
      let day = reader.digits(2), reader.skip("T") || reader.skip("t") || reader.skip(" "),
      let hour = reader.digits(2), reader.skip(":"), let minute = reader.digits(2)
    else { return nil }
    var second: Int64 = 0
    var millis: Int64 = 0
    if reader.skip(":") {
      guard let value = reader.digits(2) else { return nil }
      second = value
      if reader.skip(".") || reader.skip(",") {
        guard let fraction = reader.fractionMillis() else { return nil }
        millis = fraction
      }
    }
    guard let offset = reader.offsetSeconds(), reader.atEnd else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23,
      minute <= 59, second <= 59
    else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
    return seconds * 1_000 + millis
  }

  /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
  static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  static func daysIn(month: Int64, year: Int64) -> Int64 {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  private struct Reader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
      guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
      index += 1
      return true
    }

    /// Exactly `count` decimal digits.
    mutating func digits(_ count: Int) -> Int64? {
      guard index + count <= bytes.count else { return nil }
      var value: Int64 = 0
      for byte in bytes[index..<index + count] {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int64(byte - UInt8(ascii: "0"))
      }
      index += count
      return value
    }

    /// One or more digits after the decimal sign, as whole milliseconds (cut).
    mutating func fractionMillis() -> Int64? {
      var millis: Int64 = 0
      var count = 0
      while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
        if count < 3 { millis = millis * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
        count += 1
        index += 1
      }
      guard count > 0 else { return nil }
      for _ in count..<max(count, 3) { millis *= 10 }
      return millis
    }

    /// `Z`, `±hh`, `±hhmm` or `±hh:mm`, in seconds east of UTC.
    mutating func offsetSeconds() -> Int64? {
      if skip("Z") || skip("z") { return 0 }
      let sign: Int64
      if skip("+") {
        sign = 1
      } else if skip("-") {
        sign = -1
      } else {
        return nil
      }
      guard let hours = digits(2), hours <= 23 else { return nil }
      var minutes: Int64 = 0
      if !atEnd {
        _ = skip(":")
        guard let value = digits(2), value <= 59 else { return nil }
        minutes = value
      }
      return sign * (hours * 3_600 + minutes * 60)
    }
  }
}
