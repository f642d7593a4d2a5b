import Billing
import Logging
import Routing
import Testing

@testable import Store

/// Accounts, charges and alerts against a real PostgreSQL (Migrations/0011_credit.sql).
@Suite(
  "Credit control in PostgreSQL",
  .enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
struct CreditDatabaseTests {
  static let logger = Logger(label: "test.credit")

  /// Customer C1: prepaid, 10 EUR. Bilateral C2: postpaid, limit 50, 5 USD.
  /// Supplier C3: prepaid supplier, 20 USD. Customer C4: postpaid, limit 100,
  /// spend limits 30 and 40. Wallet 1: 3 GBP.
  static let c1 = "00000000-0000-4000-8000-0000000000c1"
  static let c2 = "00000000-0000-4000-8000-0000000000c2"
  static let c3 = "00000000-0000-4000-8000-0000000000c3"
  static let c4 = "00000000-0000-4000-8000-0000000000c4"

  static let setup = """
    INSERT INTO carriers (id, name, code, partner_type, primary_currency_id, customer_credit_type,
                          customer_balance)
    SELECT '\(c1)', 'C1', 'C1', 'customer', id, 'prepaid', 10 FROM currencies WHERE code = 'EUR';
    INSERT INTO carriers (id, name, code, partner_type, customer_credit_type, bilateral_credit_limit,
                          bilateral_balance)
    VALUES ('\(c2)', 'C2', 'C2', 'bilateral', 'postpaid', 50, 5);
    INSERT INTO carriers (id, name, code, partner_type, supplier_credit_type, supplier_balance)
    VALUES ('\(c3)', 'C3', 'C3', 'supplier', 'prepaid', 20);
    INSERT INTO carriers (id, name, code, partner_type, customer_credit_type, customer_credit_limit,
                          customer_24hr_spend_limit, supplier_24hr_spend_limit)
    VALUES ('\(c4)', 'C4', 'C4', 'customer', 'postpaid', 100, 30, 40);
    INSERT INTO users (email) VALUES ('u@example.com');
    INSERT INTO wallets (user_id, balance, currency) SELECT id, 3, 'GBP' FROM users;
    """

  static func withAccounts<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
    try await TestDatabase.with { database in
      try PGConnection(url: database.url).execute(script: setup)
      return try await body(database)
    }
  }

  static func withAccounts<T>(_ body: (TestDatabase) throws -> T) throws -> T {
    try TestDatabase.with { database in
      try PGConnection(url: database.url).execute(script: setup)
      return try body(database)
    }
  }

  static func charge(
    _ kind: AccountRef.Kind, _ owner: String, _ column: BalanceColumn, _ amount: String,
    credits: Bool = false
  ) -> AccountCharge {
    AccountCharge(
      account: AccountRef(kind, owner), column: column, amount: Money(amount)!, currency: "XXX",
      credits: credits)
  }

  static func rows(_ database: TestDatabase, _ sql: PGQuery) throws -> [[String?]] {
    let result = try PGConnection(url: database.url).query(sql)
    return (0..<result.rowCount).map { row in (0..<result.columnCount).map { result.string(row, $0) } }
  }

  // MARK: charges with the call records

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func newRecordsChargeOnceAndReplaysNeverCharge(_ method: PostgresCallRecordStore.Method) throws {
    try Self.withAccounts { database in
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      let r1 = Records.charged(
        1,
        charges: [
          Self.charge(.customer, Self.c1, .customer, "1.5"),
          Self.charge(.supplier, Self.c2, .bilateral, "0.25", credits: true),
        ])
      let r2 = Records.charged(
        2,
        charges: [
          Self.charge(.wallet, "1", .wallet, "0.5"), Self.charge(.customer, Self.c2, .bilateral, "1"),
        ])
      let r3 = Records.answered(3)
      let r5 = Records.charged(5, charges: [Self.charge(.customer, Self.c1, .customer, "2")])
      let first = try store.insert([r1, r2, r3, r5])
      #expect(first.inserted == 4 && first.unappliedCharges == 0)
      #expect(
        first.balances == [
          AccountRef(.customer, Self.c1): AccountBalance(
            amount: Money("6.5")!, version: 1, spent24h: Money("3.5")!),
          AccountRef(.supplier, Self.c2): AccountBalance(
            amount: Money("4.25")!, version: 1, spent24h: Money("0.25")!),
          AccountRef(.customer, Self.c2): AccountBalance(
            amount: Money("4.25")!, version: 1, spent24h: Money("1")!),
          AccountRef(.wallet, "1"): AccountBalance(amount: Money("2.5")!, version: 1),
        ])
      // balance_after in record order; the bilateral column is shared by both sides.
      #expect(
        try Self.rows(
          database,
          """
          SELECT carrier_id::text, side, balance_column, type::text, category::text, amount::text, currency,
                 balance_after::text, call_uuid::text
          FROM carrier_transactions ORDER BY id
          """)
          == [
            [Self.c1, "customer", "customer", "debit", "call", "1.500000", "XXX", "8.500000", r1.uuid],
            [Self.c2, "supplier", "bilateral", "credit", "call", "0.250000", "XXX", "5.250000", r1.uuid],
            [Self.c2, "customer", "bilateral", "debit", "call", "1.000000", "XXX", "4.250000", r2.uuid],
            [Self.c1, "customer", "customer", "debit", "call", "2.000000", "XXX", "6.500000", r5.uuid],
          ])
      #expect(
        try Self.rows(
          database,
          """
          SELECT t.uuid::text, t.user_id::text, t.wallet_id::text, t.type::text, t.category::text,
                 t.amount::text, t.balance_after::text, t.reference_type, t.reference_id = c.id
          FROM transactions t JOIN calls c ON c.uuid = t.uuid
          """) == [[r2.uuid, "1", "1", "debit", "call", "0.500000", "2.500000", "call", "t"]])
      #expect(
        try Self.rows(
          database,
          """
          SELECT code, customer_balance::text, supplier_balance::text, bilateral_balance::text,
                 balance_version::text, customer_24hr_spend::text, supplier_24hr_spend::text
          FROM carriers WHERE code IN ('C1', 'C2') ORDER BY code
          """)
          == [
            ["C1", "6.500000", "0.000000", "0.000000", "1", "3.500000", "0.000000"],
            ["C2", "0.000000", "0.000000", "4.250000", "1", "1.000000", "0.250000"],
          ])

      // The same batch again: nothing new, nothing charged.
      let replay = try store.insert([r1, r2, r3, r5])
      #expect(replay == CallRecordInsertResult(inserted: 0))
      // New and old together: only the new one charges.
      let r4 = Records.charged(4, charges: [Self.charge(.customer, Self.c1, .customer, "1")])
      let mixed = try store.insert([r1, r4, r2])
      #expect(mixed.inserted == 1)
      #expect(
        mixed.balances == [
          AccountRef(.customer, Self.c1): AccountBalance(
            amount: Money("5.5")!, version: 2, spent24h: Money("4.5")!)
        ])
      #expect(try database.count("carrier_transactions") == 5)
      #expect(try database.count("transactions") == 1)
      #expect(
        try database.scalar("SELECT customer_balance::text FROM carriers WHERE code = 'C1'") == "5.500000")
      #expect(try database.count() == 5)
    }
  }

  @Test func chargesOfMissingAccountsAreSkippedAndTheRecordKept() throws {
    try Self.withAccounts { database in
      let store = try PostgresCallRecordStore(url: database.url, method: .copy)
      let record = Records.charged(
        1,
        charges: [
          Self.charge(.customer, Records.uuid(), .customer, "1"), Self.charge(.wallet, "999", .wallet, "1"),
          Self.charge(.wallet, "not-a-number", .wallet, "1"),
          Self.charge(.supplier, "not-a-uuid", .supplier, "1"),
          Self.charge(.supplier, Self.c3, .supplier, "2"),
        ])
      let result = try store.insert([record])
      #expect(result.inserted == 1 && result.unappliedCharges == 4)
      #expect(Array(result.balances.keys) == [AccountRef(.supplier, Self.c3)])
      #expect(
        try database.scalar("SELECT supplier_balance::text FROM carriers WHERE code = 'C3'") == "18.000000")
      #expect(try database.count() == 1)
      #expect(try database.count("carrier_transactions") == 1)
    }
  }

  /// Through the journal and the writer: the ledger learns what is pending at
  /// start and what each commit settled; a replay of the same segments settles
  /// the same records without charging again.
  @Test func theWriterReportsEveryCommitAndAReplayChargesNothing() async throws {
    try await Self.withAccounts { database in
      let directory = TemporaryDirectory()
      defer { directory.remove() }
      let records = (0..<300).map {
        Records.charged($0, charges: $0 % 2 == 0 ? [Self.charge(.customer, Self.c4, .customer, "0.1")] : [])
      }
      try CallRecordDatabaseTests.journal(records, into: directory)
      let pending = try CallRecordWriter.pendingCharges(inDirectory: directory.path)
      #expect(pending.map(\.uuid) == records.map(\.uuid))
      #expect(pending.map(\.charges) == records.map(\.charges))
      let copies = directory.journalFiles.map { ($0, directory.read($0)) }

      for round in 0..<2 {
        if round == 1 { for (name, bytes) in copies { directory.write(name, bytes) } }
        let batches = Box<[CallRecordWriter.CommittedBatch]>([])
        let writer = try CallRecordWriter(
          configuration: CallRecordDatabaseTests.writerConfiguration(directory), liveSequence: nil,
          databaseURL: database.url, logger: Self.logger)
        writer.setCommitObserver { batch in batches.mutate { $0.append(batch) } }
        writer.start()
        #expect(await eventually { writer.currentCounters.pending == 0 && directory.journalFiles.isEmpty })
        #expect(writer.flushAndStop(deadline: .now + .seconds(10)))
        #expect(batches.value.flatMap(\.uuids) == records.map(\.uuid))
        let charging = batches.value.filter { !$0.balances.isEmpty }
        let last = charging.last?.balances[AccountRef(.customer, Self.c4)]
        if round == 0 {
          // One balance update per batch: the version counts the batches that charged.
          #expect(charging.count >= 2)
          #expect(
            last
              == AccountBalance(amount: Money("-15")!, version: Int64(charging.count), spent24h: Money("15")!)
          )
        } else {
          #expect(last == nil)
        }
        #expect(
          try database.scalar("SELECT customer_balance::text FROM carriers WHERE code = 'C4'") == "-15.000000"
        )
        #expect(try database.count("carrier_transactions") == 150)
      }
    }
  }

  // MARK: loading accounts

  @Test func theAccountRuleForEachPartnerAndCreditType() throws {
    try Self.withAccounts { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: """
          INSERT INTO carrier_credit_alerts (id, carrier_id, alert_type, threshold, direction, template_id,
                                             recipients, is_active, triggered_at)
          VALUES ('00000000-0000-4000-8000-0000000000a1', '\(Self.c1)', 'low_balance', 2, 'customer', 't1',
                  '["a@example.com"]', true, NULL),
                 ('00000000-0000-4000-8000-0000000000a2', '\(Self.c1)', '24hr_spend_breach', 9, 'supplier', NULL,
                  '[]', true, now()),
                 ('00000000-0000-4000-8000-0000000000a3', '\(Self.c1)', 'high_balance', 7, 'customer', NULL,
                  '[]', false, NULL);
          UPDATE carriers SET customer_24hr_spend = 1.25, supplier_24hr_spend = 0.5 WHERE code = 'C4';
          """)
      let accounts = try CreditStore(url: database.url).loadAccounts()
      let byRef = Dictionary(uniqueKeysWithValues: accounts.map { ($0.ref, $0) })
      #expect(accounts.count == 9)
      func balance(_ amount: String, spent: String = "0") -> AccountBalance {
        AccountBalance(amount: Money(amount)!, version: 0, spent24h: Money(spent)!)
      }
      #expect(
        byRef[AccountRef(.customer, Self.c1)]
          == CreditAccount(
            ref: AccountRef(.customer, Self.c1), column: .customer, currency: "EUR", balance: balance("10"),
            floor: .zero,
            alerts: [
              CreditAlertRule(
                id: "00000000-0000-4000-8000-0000000000a1", kind: .lowBalance, threshold: Money("2")!,
                templateID: "t1", recipients: "[\"a@example.com\"]")
            ]))
      #expect(
        byRef[AccountRef(.supplier, Self.c1)]
          == CreditAccount(
            ref: AccountRef(.supplier, Self.c1), column: .supplier, currency: "EUR", balance: balance("0"),
            floor: nil,
            alerts: [
              CreditAlertRule(
                id: "00000000-0000-4000-8000-0000000000a2", kind: .spendBreach, threshold: Money("9")!,
                armed: false)
            ]))
      #expect(
        byRef[AccountRef(.customer, Self.c2)]
          == CreditAccount(
            ref: AccountRef(.customer, Self.c2), column: .bilateral, currency: "USD", balance: balance("5"),
            floor: Money("-50")!))
      #expect(
        byRef[AccountRef(.supplier, Self.c2)]
          == CreditAccount(
            ref: AccountRef(.supplier, Self.c2), column: .bilateral, currency: "USD", balance: balance("5"),
            floor: nil, credits: true))
      #expect(
        byRef[AccountRef(.supplier, Self.c3)]
          == CreditAccount(
            ref: AccountRef(.supplier, Self.c3), column: .supplier, currency: "USD", balance: balance("20"),
            floor: .zero))
      #expect(byRef[AccountRef(.customer, Self.c3)]?.floor == .zero)
      #expect(
        byRef[AccountRef(.customer, Self.c4)]
          == CreditAccount(
            ref: AccountRef(.customer, Self.c4), column: .customer, currency: "USD",
            balance: balance("0", spent: "1.25"), floor: Money("-100")!, spendLimit24h: Money("30")!))
      #expect(
        byRef[AccountRef(.supplier, Self.c4)]
          == CreditAccount(
            ref: AccountRef(.supplier, Self.c4), column: .supplier, currency: "USD",
            balance: balance("0", spent: "0.5"), floor: nil, spendLimit24h: Money("40")!))
      #expect(
        byRef[AccountRef(.wallet, "1")]
          == CreditAccount(
            ref: AccountRef(.wallet, "1"), column: .wallet, currency: "GBP", balance: balance("3"),
            floor: .zero))

      let balances = try CreditStore(url: database.url).loadBalances()
      #expect(balances.count == 9)
      #expect(Set(balances.keys) == Set(byRef.keys))
      for (ref, account) in byRef { #expect(balances[ref] == account.balance, "\(ref)") }
    }
  }

  static let refusals: [(sql: String, message: String)] = [
    (
      "ALTER TABLE carriers DROP CONSTRAINT carriers_customer_credit_limit_check;"
        + "UPDATE carriers SET customer_credit_limit = -1 WHERE code = 'C4'",
      "carriers row \(c4): customer_credit_limit is negative: -1.000000"
    ),
    (
      "ALTER TABLE carriers DROP CONSTRAINT carriers_bilateral_credit_limit_check;"
        + "UPDATE carriers SET bilateral_credit_limit = -0.5 WHERE code = 'C2'",
      "carriers row \(c2): bilateral_credit_limit is negative: -0.500000"
    ),
    (
      "ALTER TABLE carriers ALTER COLUMN customer_credit_type DROP DEFAULT,"
        + " ALTER COLUMN customer_credit_type TYPE text;"
        + "UPDATE carriers SET customer_credit_type = 'credit_card' WHERE code = 'C1'",
      "carriers row \(c1): customer_credit_type has an unknown value: credit_card"
    ),
    (
      "ALTER TABLE carriers ALTER COLUMN supplier_credit_type DROP DEFAULT,"
        + " ALTER COLUMN supplier_credit_type TYPE text;"
        + "UPDATE carriers SET supplier_credit_type = 'prepaid ' WHERE code = 'C3'",
      "carriers row \(c3): supplier_credit_type has an unknown value: prepaid "
    ),
    (
      "ALTER TABLE carriers DROP CONSTRAINT carriers_supplier_24hr_spend_limit_check;"
        + "UPDATE carriers SET supplier_24hr_spend_limit = -40 WHERE code = 'C4'",
      "carriers row \(c4): supplier_24hr_spend_limit is negative: -40.000000"
    ),
    (
      "ALTER TABLE carriers DROP CONSTRAINT carriers_primary_currency_id_fkey;"
        + "UPDATE carriers SET primary_currency_id = '00000000-0000-4000-8000-0000000000ee' WHERE code = 'C2'",
      "carriers row \(c2): primary_currency_id 00000000-0000-4000-8000-0000000000ee is unknown or inactive"
    ),
    (
      "UPDATE currencies SET is_active = false WHERE code = 'GBP'",
      "wallets row 1: currency GBP is unknown or inactive"
    ),
  ]

  @Test(arguments: refusals)
  func aBadAccountRowIsRefusedAtLoad(_ sql: String, _ message: String) throws {
    try Self.withAccounts { database in
      let store = try CreditStore(url: database.url)
      try store.connection.execute(script: sql)
      #expect {
        try store.loadAccounts()
      } throws: { error in
        error is ReferenceDataError && "\(error)" == message
      }
      // The failed load left no transaction open.
      #expect(try store.connection.query("SELECT 1").string(0, 0) == "1")
    }
  }

  // MARK: versions and notifications

  @Test func aTopUpRaisesTheVersionAndNotifies() async throws {
    try await Self.withAccounts { database in
      let listener = try PGConnection(url: database.url)
      try listener.listen("didtron_balance")
      let portal = try PGConnection(url: database.url)
      try portal.execute(
        script: """
          UPDATE carriers SET customer_balance = customer_balance + 10 WHERE code = 'C1';
          UPDATE carriers SET name = 'renamed' WHERE code = 'C2';
          UPDATE wallets SET balance = balance + 1;
          UPDATE wallets SET auto_recharge = false;
          """)
      var payloads: [String] = []
      #expect(
        try await eventually {
          payloads += try listener.waitForNotifications(timeoutMs: 100).map(\.payload)
          return payloads.count >= 2
        })
      #expect(payloads == ["carrier:\(Self.c1)", "wallet:1"])
      let balances = try CreditStore(url: database.url).loadBalances()
      #expect(balances[AccountRef(.customer, Self.c1)] == AccountBalance(amount: Money("20")!, version: 1))
      #expect(balances[AccountRef(.customer, Self.c2)]?.version == 0)
      #expect(balances[AccountRef(.wallet, "1")] == AccountBalance(amount: Money("4")!, version: 1))
    }
  }

  // MARK: holds between nodes

  @Test func holdsAreExchangedBetweenNodesAndStaleOnesIgnored() throws {
    try Self.withAccounts { database in
      let node1 = try CreditStore(url: database.url)
      let node2 = try CreditStore(url: database.url)
      let customer = AccountRef(.customer, Self.c1)
      let wallet = AccountRef(.wallet, "1")
      #expect(
        try node1.exchangeHolds(
          node: "n1", holds: [customer: Money("2")!, wallet: Money("1")!], staleAfterSeconds: 60) == [:])
      #expect(
        try node2.exchangeHolds(node: "n2", holds: [customer: Money("3")!], staleAfterSeconds: 60)
          == [customer: Money("2")!, wallet: Money("1")!])
      // A released hold (zero, or left out) is deleted.
      #expect(
        try node1.exchangeHolds(
          node: "n1", holds: [customer: Money("1")!, wallet: .zero], staleAfterSeconds: 60)
          == [customer: Money("3")!])
      #expect(
        try Self.rows(
          database, "SELECT node_id, account_kind, owner_id, held::text FROM credit_holds ORDER BY 1")
          == [["n1", "customer", Self.c1, "1.000000"], ["n2", "customer", Self.c1, "3.000000"]])
      #expect(
        try node2.exchangeHolds(node: "n2", holds: [:], staleAfterSeconds: 60) == [customer: Money("1")!])
      #expect(try database.count("credit_holds") == 1)
      // A node that stopped exchanging drops out after `staleAfterSeconds`.
      try node2.exchangeHolds(node: "n2", holds: [wallet: Money("4")!], staleAfterSeconds: 60)
      try node1.connection.execute(
        script: "UPDATE credit_holds SET updated_at = now() - interval '90 seconds' WHERE node_id = 'n2'")
      #expect(
        try node1.exchangeHolds(node: "n1", holds: [customer: Money("1")!], staleAfterSeconds: 60) == [:])
      #expect(
        try node1.exchangeHolds(node: "n1", holds: [customer: Money("1")!], staleAfterSeconds: 120)
          == [wallet: Money("4")!])
    }
  }

  // MARK: 24-hour spend

  @Test func refreshSpendRecomputesTheLast24Hours() throws {
    try Self.withAccounts { database in
      let records = PostgresCallRecordStore.self
      let store = try records.init(url: database.url)
      let old = Records.charged(
        1,
        charges: [
          Self.charge(.customer, Self.c4, .customer, "4"), Self.charge(.supplier, Self.c3, .supplier, "1"),
        ])
      let recent = Records.charged(2, charges: [Self.charge(.customer, Self.c4, .customer, "6")])
      _ = try store.insert([old])
      let credit = try CreditStore(url: database.url)
      // The batch added its charges to the spend and to its minutes alike.
      #expect(try credit.refreshSpend() == 0)
      #expect(
        try Self.rows(database, "SELECT side, amount::text FROM carrier_spend_minutes ORDER BY side")
          == [["customer", "4.000000"], ["supplier", "1.000000"]])
      try credit.connection.execute(
        script: """
          UPDATE carrier_spend_minutes SET minute = minute - interval '25 hours';
          UPDATE carriers SET supplier_24hr_spend = 99 WHERE code = 'C1';
          """)
      _ = try store.insert([recent])
      // Until the refresh the figure is high: the old 4 is still in it.
      #expect(
        try Self.rows(database, "SELECT customer_24hr_spend::text FROM carriers WHERE code = 'C4'")
          == [["10.000000"]])
      #expect(try credit.refreshSpend() == 3)
      #expect(
        try Self.rows(
          database,
          "SELECT code, customer_24hr_spend::text, supplier_24hr_spend::text FROM carriers ORDER BY code")
          == [
            ["C1", "0.000000", "0.000000"], ["C2", "0.000000", "0.000000"], ["C3", "0.000000", "0.000000"],
            ["C4", "6.000000", "0.000000"],
          ])
      // The minutes older than 25 hours are gone.
      #expect(
        try Self.rows(database, "SELECT side, amount::text FROM carrier_spend_minutes ORDER BY side")
          == [["customer", "6.000000"]])
      #expect(try credit.refreshSpend() == 0)
      // The balances stay; the versions do not move for a spend change.
      #expect(
        try Self.rows(
          database, "SELECT customer_balance::text, balance_version FROM carriers WHERE code = 'C4'")
          == [["-10.000000", "2"]])
    }
  }

  // MARK: alerts

  @Test func anAlertFiresOncePerCrossingAndNotifies() async throws {
    try await Self.withAccounts { database in
      let alertID = "00000000-0000-4000-8000-0000000000a1"
      let credit = try CreditStore(url: database.url)
      try credit.connection.execute(
        script: """
          INSERT INTO carrier_credit_alerts (id, carrier_id, alert_type, threshold, direction, template_id, recipients)
          VALUES ('\(alertID)', '\(Self.c1)', 'low_balance', 5, 'customer', 'low-tpl', '["ops@example.com"]')
          """)
      let listener = try PGConnection(url: database.url)
      try listener.listen("didtron_credit_alert")
      let rule = try #require(
        credit.loadAccounts().first { $0.ref == AccountRef(.customer, Self.c1) }?.alerts.first)
      #expect(rule.armed)
      func change(_ change: CreditAlertChange.Change) -> CreditAlertChange {
        CreditAlertChange(
          account: AccountRef(.customer, Self.c1), rule: rule, change: change, currency: "EUR", atUnixMs: 0)
      }
      #expect(try credit.apply([change(.fired(value: Money("4.5")!))], node: "n1") == 1)
      // Fired again (another call, or another node): no second event.
      #expect(try credit.apply([change(.fired(value: Money("4")!))], node: "n2") == 0)
      #expect(
        try Self.rows(
          database,
          """
          SELECT alert_id::text, carrier_id::text, alert_type, direction, threshold::text, value::text, currency,
                 template_id, recipients::text, node_id
          FROM credit_alert_events ORDER BY id
          """)
          == [
            [
              alertID, Self.c1, "low_balance", "customer", "5.000000", "4.500000", "EUR", "low-tpl",
              "[\"ops@example.com\"]", "n1",
            ]
          ])
      var payloads: [String] = []
      #expect(
        try await eventually {
          payloads += try listener.waitForNotifications(timeoutMs: 100).map(\.payload)
          return !payloads.isEmpty
        })
      let firstEvent = try database.scalar("SELECT min(id)::text FROM credit_alert_events")
      #expect(payloads == [firstEvent])
      #expect(
        try credit.loadAccounts().first { $0.ref == AccountRef(.customer, Self.c1) }?.alerts.first?.armed
          == false)

      #expect(try credit.apply([change(.rearmed)], node: "n1") == 0)
      #expect(try database.scalar("SELECT triggered_at IS NULL FROM carrier_credit_alerts") == "t")
      #expect(
        try credit.apply(
          [change(.fired(value: Money("1")!)), change(.fired(value: Money("0")!))], node: "n1") == 1)
      #expect(try database.count("credit_alert_events") == 2)
      #expect(
        try await eventually {
          payloads += try listener.waitForNotifications(timeoutMs: 100).map(\.payload)
          return payloads.count == 2
        })
      // A change naming no alert row, or a wallet, does nothing.
      var gone = change(.fired(value: .zero))
      gone.rule.id = "00000000-0000-4000-8000-0000000000ff"
      var wallet = change(.fired(value: .zero))
      wallet.account = AccountRef(.wallet, "1")
      #expect(try credit.apply([gone, wallet], node: "n1") == 0)
    }
  }
}
