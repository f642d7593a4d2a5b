import Policy
import Routing
import Testing

@testable import Store

/// Call-rule schedules are local wall-clock windows in the owner's time zone
/// (docs/dids.md "Schedules"): the same rules in Europe/Berlin across the
/// 2026 changes (29 March 01:00 UTC: 02:00 CET -> 03:00 CEST; 25 October
/// 01:00 UTC: 03:00 CEST -> 02:00 CET), with the zone read from the tz
/// database as the loader reads it. Pure: no database.
@Suite struct CallRuleDaylightSavingTests {
  static func decision(_ schedule: CallRuleSchedule, _ zone: TimeZoneRules, _ unixMs: Int64)
    -> CallRuleEngine.Decision
  {
    let rule = CallRule(id: "1", phoneNumberID: "1", kind: .doNotDisturb, schedule: schedule)
    return CallRuleEngine.decide([rule], at: DIDRows.wallClock(zone, unixMs), registered: true)
  }

  static let dnd = CallRuleEngine.Decision.refuse(status: 486, reason: "Do Not Disturb")
  static let ring = CallRuleEngine.Decision.ring(.init())

  static func window(_ days: Set<Int>, _ start: String, _ end: String) -> CallRuleSchedule {
    CallRuleSchedule(windows: [
      .init(
        days: days, startMinute: CallRuleSchedule.minutes(start)!, endMinute: CallRuleSchedule.minutes(end)!)
    ])
  }

  @Test func officeHoursFollowTheWallClockAcrossTheChange() throws {
    let berlin = try TimeZoneFile.rules(named: "Europe/Berlin")
    let office = Self.window([1, 2, 3, 4, 5], "09:00", "17:00")
    // Friday 08:30 UTC is 09:30 CET: open. Monday 07:30 UTC is 09:30 CEST:
    // open; Monday 06:30 UTC, 08:30 CEST, closed (it was open at that UTC hour in winter).
    #expect(Self.decision(office, berlin, 1_774_600_200_000) == Self.dnd)
    #expect(Self.decision(office, berlin, 1_774_855_800_000) == Self.dnd)
    #expect(Self.decision(office, berlin, 1_774_852_200_000) == Self.ring)
    // In UTC the same instant (07:30) is before the window: the zone matters.
    #expect(Self.decision(office, .utc, 1_774_855_800_000) == Self.ring)
  }

  @Test func aNightWindowAcrossMidnightIsAnHourShorterOnTheSpringNight() throws {
    let berlin = try TimeZoneFile.rules(named: "Europe/Berlin")
    let night = Self.window([6], "22:00", "06:00")  // Saturday 22:00 to Sunday 06:00
    // Sunday 01:30 UTC is 03:30 CEST: still Saturday's night; 04:30 UTC is 06:30: over.
    #expect(Self.decision(night, berlin, 1_774_747_800_000) == Self.dnd)
    #expect(Self.decision(night, berlin, 1_774_758_600_000) == Self.ring)
  }

  @Test func aWindowInTheSkippedHourNeverOpensAndOneInTheRepeatedHourOpensTwice() throws {
    let berlin = try TimeZoneFile.rules(named: "Europe/Berlin")
    let skipped = Self.window([7], "02:00", "03:00")
    // 00:59 UTC is 01:59 CET, 01:00 UTC is 03:00 CEST: 02:xx never happens.
    #expect(Self.decision(skipped, berlin, 1_774_745_940_000) == Self.ring)
    #expect(Self.decision(skipped, berlin, 1_774_746_000_000) == Self.ring)
    // 25 October: 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET again; 02:00 UTC is 03:00.
    #expect(Self.decision(skipped, berlin, 1_792_888_200_000) == Self.dnd)
    #expect(Self.decision(skipped, berlin, 1_792_891_800_000) == Self.dnd)
    #expect(Self.decision(skipped, berlin, 1_792_893_600_000) == Self.ring)
  }

  @Test func scheduleJSONShapes() throws {
    let parsed = try DIDRows.schedule(
      json: #"{"windows": [{"days": [5], "start": "22:00", "end": "06:00"}]}"#)
    #expect(parsed == Self.window([5], "22:00", "06:00"))
    for bad in [
      "[]", "{}", #"{"windows": []}"#, #"{"windows": [{"days": [1], "start": "09:00"}]}"#,
      #"{"windows": [{"days": [1, 1], "start": "09:00", "end": "10:00"}]}"#,
      #"{"windows": [{"days": ["1"], "start": "09:00", "end": "10:00"}]}"#,
      #"{"windows": [{"days": [1], "start": "09:00", "end": "10:00", "tz": "UTC"}]}"#,
      #"{"windows": [{"days": [1], "start": "24:00", "end": "10:00"}]}"#,
    ] {
      #expect(throws: DIDRows.ShapeError.self, "\(bad)") { try DIDRows.schedule(json: bad) }
    }
  }
}
