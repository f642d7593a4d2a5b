import Testing

@testable import Routing

/// Europe/Berlin in 2026: CET (+1 h) until 2026-03-29T01:00Z, CEST (+2 h)
/// until 2026-10-25T01:00Z, then CET again.
let berlin2026 = TimeZoneRules(
  name: "Europe/Berlin", initialOffset: 3600, transitions: [1_774_746_000, 1_792_890_000],
  offsets: [7200, 3600])

/// America/New_York in 2026: EST (−5 h) until 2026-03-08T07:00Z, EDT (−4 h)
/// until 2026-11-01T06:00Z, then EST again.
let newYork2026 = TimeZoneRules(
  name: "America/New_York", initialOffset: -18_000, transitions: [1_772_953_200, 1_793_512_800],
  offsets: [-14_400, -18_000])

@Suite struct TimeZoneRulesTests {
  @Test(arguments: [
    (Int64(0), Int32(3600)),
    (-1_000_000_000, 3600),
    (1_774_745_999, 3600),  // 2026-03-29T00:59:59Z
    (1_774_746_000, 7200),  // 2026-03-29T01:00:00Z
    (1_782_856_800, 7200),  // 2026-06-30T22:00:00Z
    (1_792_889_999, 7200),  // 2026-10-25T00:59:59Z
    (1_792_890_000, 3600),  // 2026-10-25T01:00:00Z
    (4_000_000_000, 3600),
  ])
  func berlinOffsets(unixSeconds: Int64, offset: Int32) {
    #expect(berlin2026.offset(atUnixSeconds: unixSeconds) == offset)
  }

  @Test(arguments: [
    (Int64(1_772_953_199), Int32(-18_000)),  // 2026-03-08T06:59:59Z
    (1_772_953_200, -14_400),  // 2026-03-08T07:00:00Z
    (1_793_512_799, -14_400),  // 2026-11-01T05:59:59Z
    (1_793_512_800, -18_000),  // 2026-11-01T06:00:00Z
  ])
  func newYorkOffsets(unixSeconds: Int64, offset: Int32) {
    #expect(newYork2026.offset(atUnixSeconds: unixSeconds) == offset)
  }

  @Test(arguments: [Int64.min, -1, 0, 1_774_746_000, .max])
  func utcIsZeroEverywhere(unixSeconds: Int64) {
    #expect(TimeZoneRules.utc.offset(atUnixSeconds: unixSeconds) == 0)
    #expect(TimeZoneRules.utc.name == "UTC")
  }

  /// Many transitions: the binary search finds the last one at or before the instant.
  @Test func manyTransitions() {
    let transitions = (1...100).map { Int64($0) * 1000 }
    let zone = TimeZoneRules(
      name: "Test/Steps", initialOffset: -1, transitions: transitions, offsets: (1...100).map { Int32($0) })
    #expect(zone.offset(atUnixSeconds: 999) == -1)
    for step in 1...100 {
      #expect(zone.offset(atUnixSeconds: Int64(step) * 1000) == Int32(step))
      #expect(zone.offset(atUnixSeconds: Int64(step) * 1000 + 999) == Int32(step))
      #expect(zone.offset(atUnixSeconds: Int64(step) * 1000 - 1) == Int32(step - 1 == 0 ? -1 : step - 1))
    }
  }

  struct Local: Sendable, CustomTestStringConvertible {
    var zone: String
    var unixMs: Int64
    var day: Int64
    var weekday: Int
    var minuteOfDay: Int
    var note: String

    var testDescription: String { "\(zone) \(note)" }
  }

  static let zones = ["Europe/Berlin": berlin2026, "America/New_York": newYork2026, "UTC": TimeZoneRules.utc]

  static let locals: [Local] = [
    Local(zone: "UTC", unixMs: 0, day: 0, weekday: 4, minuteOfDay: 0, note: "1970-01-01 00:00 Thursday"),
    Local(zone: "UTC", unixMs: -1, day: -1, weekday: 3, minuteOfDay: 1439, note: "1969-12-31 23:59:59.999"),
    Local(zone: "UTC", unixMs: -1000, day: -1, weekday: 3, minuteOfDay: 1439, note: "1969-12-31 23:59:59"),
    Local(
      zone: "UTC", unixMs: -60_001, day: -1, weekday: 3, minuteOfDay: 1438, note: "1969-12-31 23:58:59.999"),
    Local(zone: "UTC", unixMs: -86_400_000, day: -1, weekday: 3, minuteOfDay: 0, note: "1969-12-31 00:00"),
    Local(
      zone: "UTC", unixMs: 1_795_219_200_000, day: 20_778, weekday: 6, minuteOfDay: 0,
      note: "2026-11-21 Saturday"),
    // Berlin across the spring change: 01:59:59 CET, then 03:00 CEST.
    Local(
      zone: "Europe/Berlin", unixMs: 1_774_745_999_000, day: 20_541, weekday: 7, minuteOfDay: 119,
      note: "2026-03-29 01:59:59 CET"),
    Local(
      zone: "Europe/Berlin", unixMs: 1_774_746_000_000, day: 20_541, weekday: 7, minuteOfDay: 180,
      note: "2026-03-29 03:00 CEST"),
    // ... and the autumn one: 02:59:59 CEST, then 02:00 CET.
    Local(
      zone: "Europe/Berlin", unixMs: 1_792_889_999_000, day: 20_751, weekday: 7, minuteOfDay: 179,
      note: "2026-10-25 02:59:59 CEST"),
    Local(
      zone: "Europe/Berlin", unixMs: 1_792_890_000_000, day: 20_751, weekday: 7, minuteOfDay: 120,
      note: "2026-10-25 02:00 CET"),
    // Local midnight, winter and summer.
    Local(
      zone: "Europe/Berlin", unixMs: 1_767_222_000_000, day: 20_454, weekday: 4, minuteOfDay: 0,
      note: "2026-01-01 00:00 CET"),
    Local(
      zone: "Europe/Berlin", unixMs: 1_767_221_999_999, day: 20_453, weekday: 3, minuteOfDay: 1439,
      note: "2025-12-31 23:59:59.999 CET"),
    Local(
      zone: "Europe/Berlin", unixMs: 1_782_856_800_000, day: 20_635, weekday: 3, minuteOfDay: 0,
      note: "2026-07-01 00:00 CEST"),
    Local(
      zone: "Europe/Berlin", unixMs: 1_782_856_799_999, day: 20_634, weekday: 2, minuteOfDay: 1439,
      note: "2026-06-30 23:59:59.999 CEST"),
    // New York across the spring change: Sunday 01:59:59 EST, then 03:00 EDT.
    Local(
      zone: "America/New_York", unixMs: 1_772_953_199_999, day: 20_520, weekday: 7, minuteOfDay: 119,
      note: "2026-03-08 01:59:59.999 EST"),
    Local(
      zone: "America/New_York", unixMs: 1_772_953_200_000, day: 20_520, weekday: 7, minuteOfDay: 180,
      note: "2026-03-08 03:00 EDT"),
    Local(
      zone: "America/New_York", unixMs: 1_772_859_599_999, day: 20_518, weekday: 5, minuteOfDay: 1439,
      note: "2026-03-06 23:59:59.999 EST Friday"),
    Local(
      zone: "America/New_York", unixMs: 1_772_859_600_000, day: 20_519, weekday: 6, minuteOfDay: 0,
      note: "2026-03-07 00:00 EST Saturday"),
    Local(
      zone: "America/New_York", unixMs: 1_773_028_800_000, day: 20_521, weekday: 1, minuteOfDay: 0,
      note: "2026-03-09 00:00 EDT Monday"),
  ]

  @Test(arguments: locals)
  func localTime(_ c: Local) throws {
    let zone = try #require(Self.zones[c.zone])
    let local = zone.localTime(atUnixMs: c.unixMs)
    #expect(local.day == c.day)
    #expect(local.weekday == c.weekday)
    #expect(local.minuteOfDay == c.minuteOfDay)
  }

  /// Civil dates: days since 1970-01-01 and ISO weekday (1 = Monday).
  @Test(arguments: [
    (1970, 1, 1, Int64(0), 4),
    (1969, 12, 31, -1, 3),
    (2000, 2, 29, 11_016, 2),
    (2000, 3, 1, 11_017, 3),
    (2026, 1, 1, 20_454, 4),
    (2026, 3, 8, 20_520, 7),
    (2026, 3, 29, 20_541, 7),
    (2026, 7, 3, 20_637, 5),
    (2026, 10, 25, 20_751, 7),
    (2026, 11, 21, 20_778, 6),
    (2400, 2, 29, 157_113, 2),
    (1900, 3, 1, -25_508, 4),
    (1600, 1, 1, -135_140, 6),
    (1, 1, 1, -719_162, 1),
    // Year 0 (1 BC, a leap year), before the first 400-year era.
    (0, 3, 1, -719_468, 3),
    (0, 1, 1, -719_528, 6),
  ])
  func civilDays(year: Int, month: Int, day: Int, days: Int64, weekday: Int) {
    #expect(LocalTime.day(year: year, month: month, day: day) == days)
    let local = LocalTime(localSeconds: days * 86_400 + 43_200)
    #expect(local.day == days)
    #expect(local.weekday == weekday)
    #expect(local.minuteOfDay == 720)
  }

  /// Consecutive dates are consecutive days, and weekdays cycle Monday ... Sunday.
  @Test func daysAreConsecutive() {
    let monthLengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    var expected = LocalTime.day(year: 1899, month: 12, day: 31)
    var wrong: [String] = []
    for year in 1900...2100 {
      let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
      for month in 1...12 {
        let length = month == 2 && leap ? 29 : monthLengths[month - 1]
        for day in 1...length {
          expected += 1
          if LocalTime.day(year: year, month: month, day: day) != expected {
            wrong.append("\(year)-\(month)-\(day)")
          }
        }
      }
    }
    #expect(wrong.isEmpty)
    #expect(expected == LocalTime.day(year: 2100, month: 12, day: 31))
    var weekdays: [Int] = []
    for day in Int64(-800)...800 { weekdays.append(LocalTime(localSeconds: day * 86_400).weekday) }
    #expect(weekdays.indices.dropFirst().allSatisfy { weekdays[$0] == weekdays[$0 - 1] % 7 + 1 })
  }
}
