import Billing
import Policy
import Routing
import Testing

@testable import Store

/// Wallets paying for their users' calls against a real PostgreSQL
/// (migration 0019, docs/softphones.md "Wallets pay"): the user's wallet and
/// its credit limit as loaded, and the call's debit written once with its
/// `transactions` row.
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct WalletDatabaseTests {
  static let setup = """
    INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active'),
      (2, 'bob@example.com', 'active');
    INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password, is_active)
    VALUES (1, 'phone', 'android', 'alice', 's3cret', true), (2, 'phone', 'ios', 'bob', 'b0b', true);
    INSERT INTO wallets (id, user_id, balance, currency, credit_limit) VALUES (7, 1, 1, 'USD', 2.5);
    """

  static func wallet(_ amount: String) -> AccountCharge {
    AccountCharge(account: AccountRef(.wallet, "7"), column: .wallet, amount: Money(amount)!, currency: "USD")
  }

  @Test func theUserNamesItsWalletWhoseCreditLimitIsItsFloor() throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: Self.setup)
      let retail = try ReferenceDataLoader().load(from: connection).retail
      #expect(retail.user(id: "1")?.walletID == "7")
      #expect(retail.user(id: "2")?.walletID == nil)
      let accounts = try CreditAccountLoader().loadAccounts(from: connection)
      let wallet = try #require(accounts.first { $0.ref == AccountRef(.wallet, "7") })
      #expect(wallet.floor == Money("-2.5"))
      #expect(wallet.column == .wallet && wallet.currency == "USD")
      // The default is prepaid; a negative limit is refused by the schema.
      try connection.execute(script: "INSERT INTO wallets (id, user_id) VALUES (8, 2)")
      let bob = try #require(
        try CreditAccountLoader().loadAccounts(from: connection).first { $0.ref == AccountRef(.wallet, "8") })
      #expect(bob.floor == .zero)
      #expect(throws: (any Error).self) {
        try connection.execute(script: "UPDATE wallets SET credit_limit = -1 WHERE id = 8")
      }
    }
  }

  @Test func aNewWalletOrANewCreditLimitReloads() async throws {
    try await TestDatabase.with { database in
      let listener = try PGConnection(url: database.url)
      try listener.listen("didtron_reload")
      let portal = try PGConnection(url: database.url)
      try portal.execute(script: Self.setup)
      _ = try listener.waitForNotifications(timeoutMs: 200)
      try portal.execute(script: "UPDATE wallets SET balance = balance + 1")
      try portal.execute(script: "UPDATE wallets SET credit_limit = 3")
      var payloads: [String] = []
      #expect(
        try await eventually {
          payloads += try listener.waitForNotifications(timeoutMs: 100).map(\.payload)
          return !payloads.isEmpty
        })
      // The top-up does not reload (the credit sync reads it); the limit does.
      #expect(payloads == ["wallets"])
    }
  }

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func eachCallDebitsTheWalletOnceWithItsBalanceAfter(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: Self.setup)
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      var r1 = Records.charged(1, charges: [Self.wallet("0.30")])
      var r2 = Records.charged(2, charges: [Self.wallet("0.85")])
      (r1.userID, r1.direction) = ("1", .outbound)
      (r2.userID, r2.direction) = ("1", .outbound)
      let first = try store.insert([r1, r2])
      #expect(first.inserted == 2 && first.unappliedCharges == 0)
      // Below zero, within the credit limit.
      #expect(first.balances[AccountRef(.wallet, "7")]?.amount == Money("-0.15"))
      let debits: PGQuery = """
        SELECT t.uuid::text, t.user_id::text, t.wallet_id::text, t.type::text, t.category::text,
               t.amount::text, t.balance_after::text, t.reference_type, (t.reference_id = c.id)::text,
               c.user_id::text, c.direction::text
        FROM transactions t JOIN calls c ON c.uuid = t.uuid ORDER BY t.id
        """
      let expected: [[String?]] = [
        [r1.uuid, "1", "7", "debit", "call", "0.300000", "0.700000", "call", "true", "1", "outbound"],
        [r2.uuid, "1", "7", "debit", "call", "0.850000", "-0.150000", "call", "true", "1", "outbound"],
      ]
      #expect(try Self.rows(connection, debits) == expected)
      // A replay (the journal after a crash) debits nothing more.
      #expect(try store.insert([r2, r1]).inserted == 0)
      #expect(try Self.rows(connection, debits) == expected)
      #expect(try Self.rows(connection, "SELECT balance::text FROM wallets WHERE id = 7") == [["-0.150000"]])
    }
  }

  /// Item 6: a wallet's events fire once per crossing, whichever switch is
  /// first, with a NOTIFY on didtron_wallet_event; a re-arm clears them.
  @Test func aWalletEventIsWrittenOncePerCrossingAndNotified() async throws {
    try await TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: Self.setup)
      try connection.execute(
        script: """
          UPDATE wallets SET auto_recharge = true, auto_recharge_amount = 20, auto_recharge_threshold = 0.5,
                             low_balance_threshold = 0.2 WHERE id = 7
          """)
      let listener = try PGConnection(url: database.url)
      try listener.listen("didtron_wallet_event")
      let rules = try #require(
        try CreditAccountLoader().loadAccounts(from: connection).first { $0.ref == AccountRef(.wallet, "7") }
      ).alerts
      #expect(rules.map(\.id) == ["auto_recharge", "low_balance"])
      #expect(rules.map(\.threshold) == [Money("0.5")!, Money("0.2")!])
      #expect(rules.allSatisfy { $0.kind == .lowBalance && $0.armed })
      let fired = CreditAlertChange(
        account: AccountRef(.wallet, "7"), rule: rules[0], change: .fired(value: Money("0.4")!),
        currency: "USD",
        atUnixMs: 0)
      let store = try CreditStore(url: database.url)
      #expect(try store.apply([fired], node: "n1") == 1)
      #expect(try store.apply([fired], node: "n2") == 0)  // another switch, same crossing
      #expect(
        try Self.rows(
          connection,
          """
          SELECT wallet_id::text, user_id::text, event_type, threshold::text, balance::text, currency,
                 auto_recharge_amount::text, node_id FROM wallet_events
          """) == [["7", "1", "auto_recharge", "0.500000", "0.400000", "USD", "20.000000", "n1"]])
      var payloads: [String] = []
      #expect(
        try await eventually {
          payloads += try listener.waitForNotifications(timeoutMs: 100).map(\.payload)
          return !payloads.isEmpty
        })
      #expect(payloads == [try Self.rows(connection, "SELECT id::text FROM wallet_events")[0][0]!])
      let after = try CreditAccountLoader().loadAccounts(from: connection).first {
        $0.ref == AccountRef(.wallet, "7")
      }
      #expect(after?.alerts.map(\.armed) == [false, true])
      var rearm = fired
      rearm.change = .rearmed
      _ = try store.apply([rearm], node: "n1")
      #expect(try Self.rows(connection, "SELECT auto_recharge_requested_at IS NULL FROM wallets") == [["t"]])
    }
  }

  static func rows(_ connection: PGConnection, _ sql: PGQuery) throws -> [[String?]] {
    let result = try connection.query(sql)
    return (0..<result.rowCount).map { row in (0..<result.columnCount).map { result.string(row, $0) } }
  }
}
