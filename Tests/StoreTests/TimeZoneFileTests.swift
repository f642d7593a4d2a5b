import Routing
import Testing

@testable import Store

/// Zones read from the system's tz database (/usr/share/zoneinfo); the
/// expected offsets are the tz database's own (checked against Python's
/// zoneinfo).
@Suite struct TimeZoneFileTests {
  @Test(arguments: [
    // Winter and summer 2026.
    ("Europe/Berlin", 1_768_478_400, 3600),  // 2026-01-15 12:00 UTC
    ("Europe/Berlin", 1_782_907_200, 7200),  // 2026-07-01 12:00 UTC
    ("America/New_York", 1_768_478_400, -18000),
    ("America/New_York", 1_782_907_200, -14400),
    // The 2026 changes to summer time, to the second.
    ("Europe/Berlin", 1_774_745_999, 3600),  // 2026-03-29 00:59:59 UTC
    ("Europe/Berlin", 1_774_746_000, 7200),  // 2026-03-29 01:00:00 UTC
    ("America/New_York", 1_772_953_199, -18000),  // 2026-03-08 06:59:59 UTC
    ("America/New_York", 1_772_953_200, -14400),  // 2026-03-08 07:00:00 UTC
    // 2045: past the file's own transitions, from the footer rule.
    ("Europe/Berlin", 2_368_051_200, 3600),  // 2045-01-15
    ("Europe/Berlin", 2_382_480_000, 7200),  // 2045-07-01
    ("Europe/Berlin", 2_374_102_799, 3600),  // 2045-03-26 00:59:59 UTC
    ("Europe/Berlin", 2_374_102_800, 7200),  // 2045-03-26 01:00:00 UTC
    ("Europe/Berlin", 2_392_851_600, 3600),  // 2045-10-29 01:00:00 UTC: back to winter time
    ("America/New_York", 2_372_914_799, -18000),  // 2045-03-12 06:59:59 UTC
    ("America/New_York", 2_372_914_800, -14400),  // 2045-03-12 07:00:00 UTC
    ("America/New_York", 2_393_474_400, -18000),  // 2045-11-05 06:00:00 UTC
    // The last year generated, and history from the file.
    ("Europe/Berlin", 4_118_083_200, 7200),  // 2100-07-01
    ("Europe/Berlin", -615_513_600, 3600),  // 1950-07-01
    ("Europe/Berlin", 331_257_600, 7200),  // 1980-07-01
    ("America/New_York", -615_513_600, -14400),  // 1950-07-01
    // Southern hemisphere: summer time across the new year.
    ("Australia/Sydney", 1_768_478_400, 39600),  // 2026-01-15
    ("Australia/Sydney", 1_782_907_200, 36000),  // 2026-07-01
    ("Australia/Sydney", 2_368_051_200, 39600),  // 2045-01-15
    // Fixed offsets.
    ("UTC", 1_782_907_200, 0),
    ("Asia/Kolkata", 2_382_480_000, 19800),
    ("Etc/GMT-3", 2_382_480_000, 10800),
  ])
  func offsets(zone: String, unixSeconds: Int64, expected: Int32) throws {
    let rules = try TimeZoneFile.rules(named: zone)
    #expect(rules.name == zone)
    #expect(rules.offset(atUnixSeconds: unixSeconds) == expected)
  }

  /// Daylight saving time goes on after 2100: the footer rule's 400-year
  /// cycle repeats (issue 17; before, the offset of October 2100 stayed).
  /// Expected offsets from Python's zoneinfo, which applies the footer rule
  /// for any year.
  @Test(arguments: [
    ("America/New_York", Int64(4_149_748_800), Int32(-14400)),  // 2101-07-02, a summer Saturday
    ("America/New_York", 4_134_628_800, -18000),  // 2101-01-08
    ("Europe/Berlin", 5_695_963_200, 7200),  // 2150-07-01
    ("Australia/Sydney", 10_415_044_800, 39600),  // 2300-01-15, southern summer
    ("Australia/Sydney", 10_430_683_200, 36000),  // 2300-07-15
    ("America/New_York", 253_386_619_200, -14400),  // 9999-07-03
    ("Europe/Berlin", 16_764_109_199, 3600),  // 2501-03-27 00:59:59 UTC, the second before the change
    ("Europe/Berlin", 16_764_109_200, 7200),  // 2501-03-27 01:00:00 UTC
  ])
  func daylightSavingTimeGoesOnAfter2100(zone: String, unixSeconds: Int64, expected: Int32) throws {
    let rules = try TimeZoneFile.rules(named: zone)
    #expect(rules.offset(atUnixSeconds: unixSeconds) == expected)
    #expect(rules.cycleStart != nil)
    #expect(zip(rules.transitions, rules.transitions.dropFirst()).allSatisfy { $0 < $1 })
  }

  @Test func aZoneWithoutDaylightSavingHasNoCycle() throws {
    let tokyo = try TimeZoneFile.rules(named: "Asia/Tokyo")
    #expect(tokyo.cycleStart == nil)
    #expect(tokyo.offset(atUnixSeconds: 253_386_619_200) == 32400)
  }

  @Test(arguments: [
    ("Mars/Olympus", "time zone Mars/Olympus is unknown"),
    ("America", "time zone America is unknown"),
    ("../etc/passwd", "time zone '../etc/passwd' is not a tz database name"),
    ("Europe//Berlin", "is not a tz database name"),
    ("Europe/Berlin ", "is not a tz database name"),
    ("", "is not a tz database name"),
  ])
  func unknownOrInvalidNamesAreRefused(name: String, message: String) {
    #expect {
      try TimeZoneFile.rules(named: name)
    } throws: { error in
      "\(error)".contains(message)
    }
  }

  @Test func aFileThatIsNotTZifIsRefused() {
    #expect(throws: TimeZoneFile.Problem("not a TZif file")) {
      try TimeZoneFile.parse(name: "x", bytes: Array("hello world".utf8))
    }
    #expect(throws: TimeZoneFile.Problem("the file is truncated")) {
      // Version 1, one transition and one type announced, no data.
      let counts: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
      try TimeZoneFile.parse(name: "x", bytes: Array("TZif".utf8) + [UInt8](repeating: 0, count: 16) + counts)
    }
  }

  /// Year 2030 changes from footer rules, against the dates they name.
  @Test(arguments: [
    // Europe: last Sunday of March 01:00 UTC, last Sunday of October 01:00 UTC.
    ("CET-1CEST,M3.5.0,M10.5.0/3", 3600, [(1_901_149_200, 7200), (1_919_293_200, 3600)]),
    // US: second Sunday of March 02:00 local, first Sunday of November 02:00 local.
    ("EST5EDT,M3.2.0,M11.1.0", -18000, [(1_899_356_400, -14400), (1_919_916_000, -18000)]),
    // Southern: the end comes first in the year.
    ("AEST-10AEDT,M10.1.0,M4.1.0/3", 36000, [(1_901_721_600, 36000), (1_917_446_400, 39600)]),
    // Quoted names, a negative rule time (Greenland).
    ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -7200, [(1_901_149_200, -3600), (1_919_293_200, -7200)]),
    // Jn and zero-based days: 2030-03-01 (J60) and day 300 (2030-10-28).
    ("XST3XDT,J60/0,300/0", -10800, [(1_898_564_400, -7200), (1_919_383_200, -10800)]),
    // No daylight saving time.
    ("<+03>-3", 10800, []),
  ])
  func footerRules(text: String, standard: Int32, expected: [(Int64, Int32)]) throws {
    let rule = try PosixRule(text)
    #expect(rule.standardOffset == standard)
    let changes = rule.transitions(years: 2030...2030)
    #expect(changes.map(\.0) == expected.map(\.0))
    #expect(changes.map(\.1) == expected.map(\.1))
  }

  @Test(arguments: [
    "CET", "CET-1CEST", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0,M10.5.0/200",
    "<+03",
  ])
  func badFooterRulesAreRefused(text: String) {
    #expect(throws: TimeZoneFile.Problem.self) { try PosixRule(text) }
  }
}
