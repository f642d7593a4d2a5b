import Billing
import Policy
import Testing

@testable import Store

/// DIDs and their call rules in the snapshot, and a forwarded leg's link
/// in the call record (migration 0022, docs/dids.md).
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct DIDDatabaseTests {
  static let setup = """
    INSERT INTO users (id, email, status, time_zone) VALUES (1, 'alice@example.com', 'active', 'Europe/Berlin'),
      (2, 'bob@example.com', 'active', NULL);
    INSERT INTO phone_numbers (id, user_id, number, status, type) VALUES
      (10, 1, '+15550000010', 'active', 'local'), (11, 1, '15550000011', 'released', 'local'),
      (12, NULL, '15550000012', 'active', 'local'), (13, 2, '18005550013', 'active', 'toll_free'),
      (14, 2, '15550000014', 'porting', 'local');
    INSERT INTO call_rules (id, phone_number_id, rule_type, is_active, forward_to, timeout_seconds, schedule, priority)
    VALUES (100, 10, 'forward_no_answer', true, '+1 555 1234', 15, NULL, 2),
           (101, 10, 'do_not_disturb', true, NULL, NULL,
            '{"windows": [{"days": [1, 2, 3, 4, 5], "start": "22:00", "end": "07:00"}]}', 1),
           (102, 10, 'forward_always', false, NULL, NULL, NULL, 1),
           (103, 13, 'forward_always', true, 'sip:desk@192.0.2.9:5062', NULL, NULL, 1);
    """

  @Test func numbersRulesAndTimeZonesAreLoaded() throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: Self.setup)
      let retail = try ReferenceDataLoader().load(from: connection).retail
      let dids = retail.dids
      #expect(dids.count == 5)
      let alice = try #require(dids.number("15550000010"))
      #expect(alice.userID == "1" && alice.refusal == nil && !alice.isTollFree)
      // Active rules only, by priority; the inactive 102 (no forward_to) is not read.
      #expect(alice.rules.map(\.id) == ["101", "100"])
      #expect(alice.rules[1].forwardTo == .number("15551234") && alice.rules[1].timeoutSeconds == 15)
      #expect(
        alice.rules[0].schedule
          == CallRuleSchedule(windows: [.init(days: [1, 2, 3, 4, 5], startMinute: 1320, endMinute: 420)]))
      #expect(dids.number("+15550000011")?.refusal?.status == 410)
      #expect(dids.number("15550000012")?.refusal?.status == 480)
      #expect(dids.number("15550000014")?.refusal?.status == 480)
      let tollFree = try #require(dids.number("18005550013"))
      #expect(tollFree.isTollFree && tollFree.rules.first?.forwardTo == .uri("sip:desk@192.0.2.9:5062"))
      // Owners without devices are known to the DIDs (their wallets), not as callers.
      #expect(retail.owner(ofDID: "2")?.id == "2" && retail.user(id: "2") == nil)
      // 2026-07-06 20:30 UTC is a Monday, 22:30 in Berlin (summer time, UTC+2);
      // 2026-12-07 20:30 UTC is 21:30 there (winter time, UTC+1). Bob has no zone: UTC.
      #expect(dids.localClock("1", 1_783_369_800_000) == WallClock(weekday: 1, minuteOfDay: 22 * 60 + 30))
      #expect(dids.localClock("1", 1_796_675_400_000) == WallClock(weekday: 1, minuteOfDay: 21 * 60 + 30))
      #expect(dids.localClock("2", 1_796_675_400_000) == WallClock(weekday: 1, minuteOfDay: 20 * 60 + 30))
    }
  }

  @Test(arguments: [
    ("UPDATE call_rules SET forward_to = NULL WHERE id = 100", "call_rules row 100"),
    ("UPDATE call_rules SET forward_to = 'not a number' WHERE id = 100", "call_rules row 100"),
    (
      #"UPDATE call_rules SET schedule = '{"windows": [{"days": [1], "start": "9"}]}' WHERE id = 101"#,
      "call_rules row 101"
    ),
    (
      #"UPDATE call_rules SET schedule = '{"windows": [], "zone": "x"}' WHERE id = 101"#, "call_rules row 101"
    ),
    (
      #"UPDATE call_rules SET schedule = '{"windows": [{"days": [8], "start": "09:00", "end": "10:00"}]}' WHERE id = 101"#,
      "call_rules row 101"
    ),
    (
      #"UPDATE call_rules SET schedule = '{"windows": [{"days": [true], "start": "09:00", "end": "10:00"}]}' WHERE id = 101"#,
      "call_rules row 101"
    ),
    ("UPDATE users SET time_zone = 'Mars/Olympus' WHERE id = 1", "users row 1"),
  ])
  func aRowTheSwitchCannotActOnRefusesTheLoadNamingIt(_ change: String, _ named: String) throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: Self.setup)
      try connection.execute(script: change)
      do {
        _ = try ReferenceDataLoader().load(from: connection)
        Issue.record("loaded despite: \(change)")
      } catch let error as ReferenceDataError {
        #expect(error.description.hasPrefix(named), "\(error)")
      }
    }
  }

  @Test func theDatabaseRefusesANegativeTimeoutAndAScheduleThatIsNotAnObject() throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: Self.setup)
      #expect(throws: (any Error).self) {
        try connection.execute(script: "UPDATE call_rules SET timeout_seconds = -5 WHERE id = 100")
      }
      #expect(throws: (any Error).self) {
        try connection.execute(script: "UPDATE call_rules SET schedule = '[1, 2]' WHERE id = 101")
      }
    }
  }

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func aForwardedLegNamesItsInboundCall(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      let inbound = Records.failed(1)
      var leg = Records.failed(2)
      leg.direction = .outbound
      leg.parentCallUUID = inbound.uuid
      #expect(try store.insert([leg, inbound]).inserted == 2)
      let rows = try connection.query(
        "SELECT direction::text, parent_call_uuid::text FROM calls ORDER BY parent_call_uuid NULLS FIRST")
      #expect(rows.string(0, 0) == "inbound" && rows.string(0, 1) == nil)
      #expect(rows.string(1, 0) == "outbound" && rows.string(1, 1) == inbound.uuid)
    }
  }
}
