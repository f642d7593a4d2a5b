import Billing
import Policy
import Testing

@testable import Store

/// Monthly call limits (migration 0020, docs/softphones.md "Monthly call
/// limits"): the plan's limit loaded with the user, and `usage_tracking`
/// counted once per answered call of a user, in the transaction that
/// inserts its `calls` row, never again on a replay.
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct MonthlyCallDatabaseTests {
  @Test func thePlansLimitIsLoadedWithTheUser() throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: """
          INSERT INTO subscription_plans (id, name, phone_calls_limit, is_active) VALUES
            ('free', 'Free', 2, true), ('pro', 'Pro', -1, true), ('old', 'Old', 5, false);
          INSERT INTO users (id, email, status, subscription_plan_id) VALUES
            (1, 'a@example.com', 'active', 'free'), (2, 'b@example.com', 'active', 'pro'),
            (3, 'c@example.com', 'active', 'old'), (4, 'd@example.com', 'active', NULL);
          INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
          VALUES (1, 'p', 'web', 'u1', 'x'), (2, 'p', 'web', 'u2', 'x'), (3, 'p', 'web', 'u3', 'x'),
                 (4, 'p', 'web', 'u4', 'x');
          """)
      let retail = try ReferenceDataLoader().load(from: connection).retail
      #expect(retail.user(id: "1")?.monthlyCallLimit == 2)
      #expect(retail.user(id: "2")?.monthlyCallLimit == nil)
      #expect(retail.user(id: "3")?.monthlyCallLimit == nil)
      #expect(retail.user(id: "4")?.monthlyCallLimit == nil)
      #expect(throws: PGError.self) {
        try connection.execute(
          script: "INSERT INTO subscription_plans (id, name, phone_calls_limit) VALUES ('x', 'X', -2)")
      }
    }
  }

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func anAnsweredUserCallCountsOnceInTheMonthItStarted(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: "INSERT INTO users (id, email, status) VALUES (1, 'a@example.com', 'active')")
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      // Started 2024-02-29 23:59:59.999 UTC, answered in March: February's.
      var first = Records.answered(1)
      first.userID = "1"
      var second = Records.answered(2)
      second.userID = "1"
      var unanswered = Records.failed(3)
      unanswered.userID = "1"
      var onNet = Records.answered(4)
      (onNet.userID, onNet.ingressCarrierID, onNet.ingressInterconnectID, onNet.ingressServiceID) =
        ("1", nil, nil, nil)
      let carriers = Records.answered(5)
      #expect(try store.insert([first, first, unanswered, onNet, carriers]).inserted == 4)
      // A replay (the journal after a crash) counts nothing again.
      #expect(try store.insert([first, second]).inserted == 1)
      #expect(try store.insert([second]).inserted == 0)
      let rows = try connection.query("SELECT user_id::text, month_year, calls_used FROM usage_tracking")
      #expect(rows.rowCount == 1)
      #expect(rows.string(0, 0) == "1" && rows.string(0, 1) == "2024-02" && rows.string(0, 2) == "2")
      let month = try #require(CalendarMonth(text: "2024-02"))
      let counts = try MonthlyCallStore(url: database.url).counts(month: month)
      #expect(counts == [MonthlyCallCounter.Key(userID: "1", month: month): 2])
      #expect(
        try MonthlyCallStore(url: database.url).counts(month: CalendarMonth(year: 2024, month: 3)).isEmpty)
    }
  }
}
