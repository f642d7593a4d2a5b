import Routing

/// Reads a rating plan's time zone from the system's tz database
/// (`/usr/share/zoneinfo/<name>`, TZif files, RFC 8536) into
/// `TimeZoneRules`.
///
/// - The name must match `^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$` (no `.`,
///   so it never leaves the directory); a name without a file is refused.
/// - The 64-bit data of version 2+ files is used (version 1 files: the
///   32-bit data); files with leap-second records (`right/...`) are refused.
/// - Beyond the file's last transition, the POSIX TZ footer rule
///   (`CET-1CEST,M3.5.0,M10.5.0/3`) is expanded into transitions for one
///   whole 400-year Gregorian cycle from the year after the file's last
///   transition (and at least up to `lastYear`), and the cycle repeats
///   forever (`TimeZoneRules.cycleStart`): a rule of weekdays and dates
///   gives the same instants every 400 years. A footer
///   without a daylight-saving part is a fixed offset; an empty footer keeps
///   the file's last offset. A footer that cannot be parsed refuses the zone.
public enum TimeZoneFile {
  /// Where the tz database lives on Debian and most other systems.
  public static let defaultDirectory = "/usr/share/zoneinfo"
  /// The last year at least up to which a footer rule's changes are generated.
  public static let lastYear = 2100

  /// Why a zone cannot be used; `description` is what the loader reports.
  public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
  }

  /// Whether `name` may name a file of the tz database.
  public static func isValidName(_ name: String) -> Bool {
    let components = name.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    return components.allSatisfy { component in
      !component.isEmpty
        && component.allSatisfy { byte in
          switch byte {
          case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            true
          default: false
          }
        }
    }
  }

  /// The zone `name` of the tz database in `directory`.
  public static func rules(named name: String, directory: String = defaultDirectory) throws(Problem)
    -> TimeZoneRules
  {
    guard isValidName(name) else { throw Problem("time zone '\(name)' is not a tz database name") }
    let bytes: [UInt8]
    do {
      bytes = try Directory.readFile(directory + "/" + name)
    } catch {
      throw Problem("time zone \(name) is unknown (\(error))")
    }
    do {
      return try parse(name: name, bytes: bytes)
    } catch {
      throw Problem("time zone \(name): \(error.description)")
    }
  }

  /// Parses the contents of a TZif file.
  public static func parse(name: String, bytes: [UInt8], lastYear: Int = lastYear) throws(Problem)
    -> TimeZoneRules
  {
    var reader = Reader(bytes: bytes)
    var header = try reader.header()
    var timeSize = 4
    if header.version >= 2 {
      try reader.skip(header.dataSize(timeSize: 4))
      header = try reader.header()
      timeSize = 8
    }
    guard header.leapCount == 0 else { throw Problem("leap-second zones are not supported") }
    guard header.typeCount > 0 else { throw Problem("the file has no local time types") }

    var times: [Int64] = []
    times.reserveCapacity(header.timeCount)
    for _ in 0..<header.timeCount {
      let time = timeSize == 8 ? try reader.int64() : Int64(try reader.int32())
      if let last = times.last, time <= last { throw Problem("transitions are not in ascending order") }
      times.append(time)
    }
    var typeIndices: [Int] = []
    typeIndices.reserveCapacity(header.timeCount)
    for _ in 0..<header.timeCount {
      let index = Int(try reader.byte())
      guard index < header.typeCount else { throw Problem("a transition names local time type \(index)") }
      typeIndices.append(index)
    }
    var typeOffsets: [Int32] = []
    for _ in 0..<header.typeCount {
      let offset = try reader.int32()
      guard offset > -90_000, offset < 93_600 else { throw Problem("UTC offset \(offset) is out of range") }
      typeOffsets.append(offset)
      try reader.skip(2)  // isdst, abbreviation index
    }
    try reader.skip(header.characterCount + header.standardCount + header.universalCount)
    var footer = ""
    if header.version >= 2 { footer = try reader.footer() }

    // Only the changes of offset matter here (not of abbreviation or isdst).
    let initialOffset = typeOffsets[0]
    var transitions: [Int64] = []
    var offsets: [Int32] = []
    for (time, index) in zip(times, typeIndices) where typeOffsets[index] != (offsets.last ?? initialOffset) {
      transitions.append(time)
      offsets.append(typeOffsets[index])
    }

    var cycleStart: Int64?
    if !footer.isEmpty {
      let rule: PosixRule
      do {
        rule = try PosixRule(footer)
      } catch {
        throw Problem("footer rule '\(footer)': \(error.description)")
      }
      let after = times.last ?? Int64.min
      let firstYear = max(times.last.map(civilYear) ?? 1970, 1900) - 1
      // One whole 400-year cycle of the rule from the year after the file's
      // last transition; later instants map back into it (TimeZoneRules.cycleStart).
      let cycleYear = firstYear + 2
      let throughYear = max(lastYear, cycleYear + 400)
      for (time, offset) in rule.transitions(years: firstYear...throughYear) where time > after {
        if offset != (offsets.last ?? initialOffset) {
          transitions.append(time)
          offsets.append(offset)
        }
      }
      if rule.daylight != nil {
        cycleStart = LocalTime.day(year: cycleYear, month: 1, day: 1) * 86_400
      }
    }
    return TimeZoneRules(
      name: name, initialOffset: initialOffset, transitions: transitions, offsets: offsets,
      cycleStart: cycleStart)
  }

  /// The proleptic Gregorian year of a Unix time.
  static func civilYear(_ unixSeconds: Int64) -> Int {
    let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
    // Days since 0000-03-01, in 400-year eras (146097 days each).
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153  // 0 = March
    return Int(yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0))
  }

  static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

  /// The counts of one TZif header (RFC 8536 §3.1).
  struct Header {
    var version: Int
    var universalCount: Int
    var standardCount: Int
    var leapCount: Int
    var timeCount: Int
    var typeCount: Int
    var characterCount: Int

    /// The size of the data block that follows the header.
    func dataSize(timeSize: Int) -> Int {
      timeCount * (timeSize + 1) + typeCount * 6 + characterCount + leapCount * (timeSize + 4) + standardCount
        + universalCount
    }
  }

  /// Big-endian reads that refuse to run past the end.
  struct Reader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skip(_ count: Int) throws(Problem) {
      guard count >= 0, count <= bytes.count - offset else { throw Problem("the file is truncated") }
      offset += count
    }

    mutating func byte() throws(Problem) -> UInt8 {
      guard offset < bytes.count else { throw Problem("the file is truncated") }
      defer { offset += 1 }
      return bytes[offset]
    }

    mutating func int32() throws(Problem) -> Int32 {
      var value: UInt32 = 0
      for _ in 0..<4 { value = value << 8 | UInt32(try byte()) }
      return Int32(bitPattern: value)
    }

    mutating func int64() throws(Problem) -> Int64 {
      var value: UInt64 = 0
      for _ in 0..<8 { value = value << 8 | UInt64(try byte()) }
      return Int64(bitPattern: value)
    }

    mutating func count() throws(Problem) -> Int {
      let value = try int32()
      guard value >= 0 else { throw Problem("a header count is negative") }
      return Int(value)
    }

    mutating func header() throws(Problem) -> Header {
      guard offset + 44 <= bytes.count, Array(bytes[offset..<offset + 4]) == Array("TZif".utf8) else {
        throw Problem("not a TZif file")
      }
      offset += 4
      let versionByte = try byte()
      let version: Int
      switch versionByte {
      case 0: version = 1
      case UInt8(ascii: "2")...UInt8(ascii: "9"): version = Int(versionByte - UInt8(ascii: "0"))
      default: throw Problem("unknown TZif version byte \(versionByte)")
      }
      try skip(15)
      return Header(
        version: version, universalCount: try count(), standardCount: try count(), leapCount: try count(),
        timeCount: try count(), typeCount: try count(), characterCount: try count())
    }

    /// The TZ string between the two newlines after the version 2+ data.
    mutating func footer() throws(Problem) -> String {
      guard try byte() == UInt8(ascii: "\n") else {
        throw Problem("the footer does not start with a newline")
      }
      guard let end = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
        throw Problem("the footer does not end with a newline")
      }
      defer { offset = end + 1 }
      return String(decoding: bytes[offset..<end], as: UTF8.self)
    }
  }
}

/// A POSIX TZ string as a TZif footer holds it (RFC 8536 §3.3, POSIX.1
/// `TZ` with the tz extensions: hours up to ±167 in rule times):
/// `std offset [dst [offset] ,start[/time],end[/time]]`, where a date is
/// `Jn` (1...365, February 29 never counted), `n` (0...365) or `Mm.w.d`
/// (day `d` of week `w` of month `m`, week 5 = the last).
struct PosixRule {
  /// Seconds east of UTC (POSIX writes them west: `CET-1` is +3600).
  var standardOffset: Int32
  var daylight: Daylight?

  struct Daylight {
    var offset: Int32
    var start: Change
    var end: Change
  }

  struct Change {
    var date: RuleDate
    /// Local time of the change, seconds after midnight (may be negative or past a day).
    var time: Int64
  }

  enum RuleDate {
    case julian(Int)
    case zeroBased(Int)
    case month(Int, week: Int, weekday: Int)

    /// Days since 1970-01-01 of this date in `year`.
    func day(in year: Int) -> Int64 {
      let january1 = LocalTime.day(year: year, month: 1, day: 1)
      switch self {
      case .julian(let n): return january1 + Int64(n - 1) + (TimeZoneFile.isLeapYear(year) && n >= 60 ? 1 : 0)
      case .zeroBased(let n): return january1 + Int64(n)
      case .month(let month, let week, let weekday):
        let first = LocalTime.day(year: year, month: month, day: 1)
        let next =
          month == 12
          ? LocalTime.day(year: year + 1, month: 1, day: 1)
          : LocalTime.day(year: year, month: month + 1, day: 1)
        let weekdayOfFirst = Int(((first + 4) % 7 + 7) % 7)  // 0 = Sunday; 1970-01-01 was a Thursday
        var day = first + Int64((weekday - weekdayOfFirst + 7) % 7 + 7 * (week - 1))
        while day >= next { day -= 7 }
        return day
      }
    }
  }

  init(_ text: String) throws(TimeZoneFile.Problem) {
    var scanner = Scanner(bytes: Array(text.utf8))
    try scanner.name()
    standardOffset = -(try scanner.duration(maxHours: 24))
    if scanner.isAtEnd {
      daylight = nil
      return
    }
    try scanner.name()
    var daylightOffset = standardOffset + 3600
    if let next = scanner.peek, next != UInt8(ascii: ",") {
      daylightOffset = -(try scanner.duration(maxHours: 24))
    }
    guard scanner.take(UInt8(ascii: ",")) else {
      throw TimeZoneFile.Problem("no rule for daylight saving time")
    }
    let start = try scanner.change()
    guard scanner.take(UInt8(ascii: ",")) else {
      throw TimeZoneFile.Problem("no end of daylight saving time")
    }
    let end = try scanner.change()
    guard scanner.isAtEnd else { throw TimeZoneFile.Problem("unexpected text after the rule") }
    daylight = Daylight(offset: daylightOffset, start: start, end: end)
  }

  /// The changes of offset in `years`, in time order: (Unix seconds, offset
  /// from then on). None without daylight saving time: the file's last
  /// transition already set the standard offset.
  func transitions(years: ClosedRange<Int>) -> [(Int64, Int32)] {
    guard let daylight else { return [] }
    var changes: [(Int64, Int32)] = []
    changes.reserveCapacity(years.count * 2)
    for year in years {
      // The start is written in standard time, the end in daylight time.
      let start = daylight.start.date.day(in: year) * 86_400 + daylight.start.time - Int64(standardOffset)
      let end = daylight.end.date.day(in: year) * 86_400 + daylight.end.time - Int64(daylight.offset)
      changes.append((start, daylight.offset))
      changes.append((end, standardOffset))
    }
    // Stable by time; at one instant the change given last wins (DST all year: a
    // year's end and the next year's start meet).
    let sorted = changes.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(
      \.element)
    var result: [(Int64, Int32)] = []
    for change in sorted {
      if let last = result.last, last.0 == change.0 { result.removeLast() }
      result.append(change)
    }
    return result
  }

  struct Scanner {
    let bytes: [UInt8]
    var index = 0

    var isAtEnd: Bool { index == bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func take(_ byte: UInt8) -> Bool {
      guard peek == byte else { return false }
      index += 1
      return true
    }

    /// `<+03>` or letters (`CEST`).
    mutating func name() throws(TimeZoneFile.Problem) {
      if take(UInt8(ascii: "<")) {
        guard let close = bytes[index...].firstIndex(of: UInt8(ascii: ">")), close > index else {
          throw TimeZoneFile.Problem("an unterminated <name>")
        }
        index = close + 1
        return
      }
      let start = index
      while let byte = peek, (byte | 0x20) >= UInt8(ascii: "a"), (byte | 0x20) <= UInt8(ascii: "z") {
        index += 1
      }
      guard index - start >= 3 else { throw TimeZoneFile.Problem("a zone abbreviation is missing") }
    }

    mutating func number(maxDigits: Int) throws(TimeZoneFile.Problem) -> Int {
      var value = 0
      var digits = 0
      while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < maxDigits {
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
        digits += 1
        index += 1
      }
      guard digits > 0 else { throw TimeZoneFile.Problem("a number is missing") }
      return value
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    mutating func duration(maxHours: Int) throws(TimeZoneFile.Problem) -> Int32 {
      var sign: Int32 = 1
      if take(UInt8(ascii: "-")) { sign = -1 } else { _ = take(UInt8(ascii: "+")) }
      let hours = try number(maxDigits: 3)
      var minutes = 0
      var seconds = 0
      if take(UInt8(ascii: ":")) {
        minutes = try number(maxDigits: 2)
        if take(UInt8(ascii: ":")) { seconds = try number(maxDigits: 2) }
      }
      guard hours <= maxHours, minutes < 60, seconds < 60 else {
        throw TimeZoneFile.Problem("a time is out of range")
      }
      return sign * Int32(hours * 3600 + minutes * 60 + seconds)
    }

    /// `date[/time]`, the time 02:00 when not given.
    mutating func change() throws(TimeZoneFile.Problem) -> Change {
      let date: RuleDate
      if take(UInt8(ascii: "M")) {
        let month = try number(maxDigits: 2)
        guard take(UInt8(ascii: ".")) else { throw TimeZoneFile.Problem("a bad Mm.w.d date") }
        let week = try number(maxDigits: 1)
        guard take(UInt8(ascii: ".")) else { throw TimeZoneFile.Problem("a bad Mm.w.d date") }
        let weekday = try number(maxDigits: 1)
        guard (1...12).contains(month), (1...5).contains(week), (0...6).contains(weekday) else {
          throw TimeZoneFile.Problem("a bad Mm.w.d date")
        }
        date = .month(month, week: week, weekday: weekday)
      } else if take(UInt8(ascii: "J")) {
        let day = try number(maxDigits: 3)
        guard (1...365).contains(day) else { throw TimeZoneFile.Problem("a bad Jn date") }
        date = .julian(day)
      } else {
        let day = try number(maxDigits: 3)
        guard (0...365).contains(day) else { throw TimeZoneFile.Problem("a bad day of the year") }
        date = .zeroBased(day)
      }
      var time: Int64 = 7200
      if take(UInt8(ascii: "/")) { time = Int64(try duration(maxHours: 167)) }
      return Change(date: date, time: time)
    }
  }
}
