import Billing
import Routing

/// Reads the credit accounts (docs/credit.md, Migrations/0011_credit.sql)
/// over a connection: every carrier gives a customer and a supplier account,
/// every wallet one. Each read runs in one REPEATABLE READ, READ ONLY
/// transaction. A carrier row with a negative credit limit or 24-hour spend
/// limit, a partner or credit type it does not know, or an unknown or
/// inactive currency fails the load with `ReferenceDataError`
/// (`carriers row <id>: <problem>`), as do bad wallet and alert rows.
/// Blocking: run it off the event loops.
public struct CreditAccountLoader {
  public init() {}

  /// Every account with its terms, balance and active alerts.
  public func loadAccounts(from connection: PGConnection) throws -> [CreditAccount] {
    try readOnly(connection) {
      let alerts = try loadAlerts(connection)
      return try carrierAccounts(connection, alerts: alerts) + walletAccounts(connection)
    }
  }

  /// Every carrier's customer and supplier accounts (one bilateral pair for a bilateral partner).
  private func carrierAccounts(_ connection: PGConnection, alerts: [AccountRef: [CreditAlertRule]]) throws
    -> [CreditAccount]
  {
    var accounts: [CreditAccount] = []
    let rows = try connection.query(
      """
      SELECT c.id::text, c.partner_type::text, c.customer_credit_type::text, c.customer_credit_limit::text,
             c.supplier_credit_type::text, c.bilateral_credit_limit::text, c.customer_balance::text,
             c.supplier_balance::text, c.bilateral_balance::text, c.balance_version,
             c.customer_24hr_spend_limit::text, c.customer_24hr_spend::text,
             c.supplier_24hr_spend_limit::text, c.supplier_24hr_spend::text,
             c.primary_currency_id::text, cur.code, cur.is_active
      FROM carriers c LEFT JOIN currencies cur ON cur.id = c.primary_currency_id
      ORDER BY c.id
      """)
    for row in 0..<rows.rowCount {
      accounts += try carrierAccounts(rows, row, alerts: alerts)
    }
    return accounts
  }

  /// One `carriers` row's two accounts.
  private func carrierAccounts(_ rows: PGResult, _ row: Int, alerts: [AccountRef: [CreditAlertRule]]) throws
    -> [CreditAccount]
  {
    var accounts: [CreditAccount] = []
    let id = rows.string(row, 0) ?? ""
    let fields = Fields(table: "carriers", id: id, result: rows, row: row)
    let partner = try fields.text(1)
    let customerType: CreditType = try fields.enumValue(2)
    let customerLimit = try limit(fields, 3)
    let supplierType: CreditType = try fields.enumValue(4)
    let bilateralLimit = try limit(fields, 5)
    let version = try fields.int64(9) ?? 0
    let customerSpendLimit = try optionalLimit(fields, 10)
    let customerSpent = try money(fields, 11)
    let supplierSpendLimit = try optionalLimit(fields, 12)
    let supplierSpent = try money(fields, 13)
    let currency: String
    if let currencyID = rows.string(row, 14) {
      guard let code = rows.string(row, 15), fields.bool(16) else {
        throw fields.fail(14, "\(currencyID) is unknown or inactive")
      }
      currency = code
    } else {
      currency = "USD"
    }
    let customerRef = AccountRef(.customer, id)
    let supplierRef = AccountRef(.supplier, id)
    let customerAlerts = alerts[customerRef] ?? []
    let supplierAlerts = alerts[supplierRef] ?? []
    switch partner {
    case "customer", "supplier":
      accounts.append(
        CreditAccount(
          ref: customerRef, column: .customer, currency: currency,
          balance: AccountBalance(
            amount: try money(fields, 6), version: version, spent24h: customerSpent),
          floor: customerType == .prepaid ? .zero : Money(micros: -customerLimit.micros),
          spendLimit24h: customerSpendLimit, alerts: customerAlerts))
      accounts.append(
        CreditAccount(
          ref: supplierRef, column: .supplier, currency: currency,
          balance: AccountBalance(
            amount: try money(fields, 7), version: version, spent24h: supplierSpent),
          floor: supplierType == .prepaid ? .zero : nil, spendLimit24h: supplierSpendLimit,
          alerts: supplierAlerts))
    case "bilateral":
      let balance = try money(fields, 8)
      accounts.append(
        CreditAccount(
          ref: customerRef, column: .bilateral, currency: currency,
          balance: AccountBalance(amount: balance, version: version, spent24h: customerSpent),
          floor: customerType == .prepaid ? .zero : Money(micros: -bilateralLimit.micros),
          spendLimit24h: customerSpendLimit, alerts: customerAlerts))
      accounts.append(
        CreditAccount(
          ref: supplierRef, column: .bilateral, currency: currency,
          balance: AccountBalance(amount: balance, version: version, spent24h: supplierSpent),
          floor: nil, credits: true, spendLimit24h: supplierSpendLimit, alerts: supplierAlerts))
    default:
      throw fields.fail(1, "has an unknown value: \(partner)")
    }
    return accounts
  }

  /// Every wallet's account: its floor is minus `wallets.credit_limit`
  /// (migration 0019; 0, the default, is prepaid); its alert rules are its
  /// events (`walletAlerts`).
  private func walletAccounts(_ connection: PGConnection) throws -> [CreditAccount] {
    var accounts: [CreditAccount] = []
    let wallets = try connection.query(
      """
      SELECT w.id::text, w.balance::text, w.balance_version, w.currency, cur.is_active, w.credit_limit::text,
             w.auto_recharge, w.auto_recharge_threshold::text, w.auto_recharge_requested_at IS NULL,
             w.low_balance_threshold::text, w.low_balance_notified_at IS NULL
      FROM wallets w LEFT JOIN currencies cur ON cur.code = w.currency
      ORDER BY w.id
      """)
    for row in 0..<wallets.rowCount {
      let id = wallets.string(row, 0) ?? ""
      let fields = Fields(table: "wallets", id: id, result: wallets, row: row)
      let currency = try fields.text(3)
      guard fields.bool(4) else { throw fields.fail(3, "\(currency) is unknown or inactive") }
      let creditLimit = try limit(fields, 5)
      accounts.append(
        CreditAccount(
          ref: AccountRef(.wallet, id), column: .wallet, currency: currency,
          balance: AccountBalance(amount: try money(fields, 1), version: try fields.int64(2) ?? 0),
          floor: Money(micros: -creditLimit.micros), alerts: try walletAlerts(fields)))
    }
    return accounts
  }

  /// A wallet's events as alert rules (migration 0019, fired once per
  /// crossing by the ledger): `auto_recharge` when `auto_recharge` is on and
  /// the balance drops below `auto_recharge_threshold`, `low_balance` below
  /// `low_balance_threshold`; armed while their timestamp is NULL.
  private func walletAlerts(_ fields: Fields) throws -> [CreditAlertRule] {
    var rules: [CreditAlertRule] = []
    if fields.bool(6), fields.result.string(fields.row, 7) != nil {
      rules.append(
        CreditAlertRule(
          id: CreditAlertRule.walletAutoRecharge, kind: .lowBalance, threshold: try money(fields, 7),
          armed: fields.bool(8)))
    }
    if fields.result.string(fields.row, 9) != nil {
      rules.append(
        CreditAlertRule(
          id: CreditAlertRule.walletLowBalance, kind: .lowBalance, threshold: try money(fields, 9),
          armed: fields.bool(10)))
    }
    return rules
  }

  /// The cheap refresh: every account's balance, version and 24-hour spend.
  public func loadBalances(from connection: PGConnection) throws -> [AccountRef: AccountBalance] {
    try readOnly(connection) {
      var balances: [AccountRef: AccountBalance] = [:]
      let rows = try connection.query(
        """
        SELECT id::text, partner_type::text, customer_balance::text, supplier_balance::text,
               bilateral_balance::text, balance_version, customer_24hr_spend::text, supplier_24hr_spend::text
        FROM carriers
        """)
      balances.reserveCapacity(rows.rowCount * 2)
      for row in 0..<rows.rowCount {
        let id = rows.string(row, 0) ?? ""
        let fields = Fields(table: "carriers", id: id, result: rows, row: row)
        let partner = try fields.text(1)
        let bilateral = partner == "bilateral"
        guard bilateral || partner == "customer" || partner == "supplier" else {
          throw fields.fail(1, "has an unknown value: \(partner)")
        }
        let version = try fields.int64(5) ?? 0
        balances[AccountRef(.customer, id)] = AccountBalance(
          amount: try money(fields, bilateral ? 4 : 2), version: version, spent24h: try money(fields, 6))
        balances[AccountRef(.supplier, id)] = AccountBalance(
          amount: try money(fields, bilateral ? 4 : 3), version: version, spent24h: try money(fields, 7))
      }
      let wallets = try connection.query("SELECT id::text, balance::text, balance_version FROM wallets")
      for row in 0..<wallets.rowCount {
        let id = wallets.string(row, 0) ?? ""
        let fields = Fields(table: "wallets", id: id, result: wallets, row: row)
        balances[AccountRef(.wallet, id)] = AccountBalance(
          amount: try money(fields, 1), version: try fields.int64(2) ?? 0)
      }
      return balances
    }
  }

  /// The active alerts per account (direction = account kind).
  private func loadAlerts(_ connection: PGConnection) throws -> [AccountRef: [CreditAlertRule]] {
    let rows = try connection.query(
      """
      SELECT id::text, carrier_id::text, alert_type, direction, threshold::text, template_id, recipients::text,
             triggered_at IS NULL
      FROM carrier_credit_alerts WHERE is_active ORDER BY carrier_id, id
      """)
    var alerts: [AccountRef: [CreditAlertRule]] = [:]
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 0) ?? ""
      let fields = Fields(table: "carrier_credit_alerts", id: id, result: rows, row: row)
      let kind: CreditAlertRule.Kind = try fields.enumValue(2)
      let direction = try fields.text(3)
      guard direction == "customer" || direction == "supplier" else {
        throw fields.fail(3, "has an unknown value: \(direction)")
      }
      let rule = CreditAlertRule(
        id: id, kind: kind, threshold: try money(fields, 4), templateID: rows.string(row, 5),
        recipients: rows.string(row, 6) ?? "[]", armed: fields.bool(7))
      let account = AccountRef(direction == "customer" ? .customer : .supplier, try fields.text(1))
      alerts[account, default: []].append(rule)
    }
    return alerts
  }

  private func money(_ fields: Fields, _ column: Int) throws -> Money {
    let text = try fields.text(column)
    guard let value = Money(text) else { throw fields.fail(column, "is not an amount: \(text)") }
    return value
  }

  /// A credit limit: NULL is refused as well as a negative amount.
  private func limit(_ fields: Fields, _ column: Int) throws -> Money {
    let value = try money(fields, column)
    guard value >= .zero else { throw fields.fail(column, "is negative: \(value)") }
    return value
  }

  /// A 24-hour spend limit: NULL is no limit.
  private func optionalLimit(_ fields: Fields, _ column: Int) throws -> Money? {
    guard fields.result.string(fields.row, column) != nil else { return nil }
    return try limit(fields, column)
  }

  private func readOnly<T>(_ connection: PGConnection, _ body: () throws -> T) throws -> T {
    try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
  }
}
