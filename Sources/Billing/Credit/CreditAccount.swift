import Routing

/// One account's terms and balance as loaded from PostgreSQL.
public struct CreditAccount: Sendable, Equatable {
  public var ref: AccountRef
  public var column: BalanceColumn
  /// ISO 4217 code of the account's currency (the carrier's primary
  /// currency, the wallet's currency; USD when the carrier names none).
  public var currency: String
  public var balance: AccountBalance
  /// The lowest the balance may go by calls: zero for prepaid, minus the
  /// credit limit for postpaid; nil when calls are never stopped for money
  /// (a postpaid supplier, a bilateral carrier's supplier side).
  public var floor: Money?
  /// True when charges raise the balance (a bilateral carrier's supplier side).
  public var credits: Bool
  /// `customer_24hr_spend_limit` / `supplier_24hr_spend_limit`; nil = none.
  public var spendLimit24h: Money?
  /// The carrier's active credit alerts for this side.
  public var alerts: [CreditAlertRule]

  public init(
    ref: AccountRef, column: BalanceColumn, currency: String, balance: AccountBalance, floor: Money?,
    credits: Bool = false, spendLimit24h: Money? = nil, alerts: [CreditAlertRule] = []
  ) {
    self.ref = ref
    self.column = column
    self.currency = currency
    self.balance = balance
    self.floor = floor
    self.credits = credits
    self.spendLimit24h = spendLimit24h
    self.alerts = alerts
  }
}

/// A stored balance at one version, with the 24-hour spend stored beside it.
public struct AccountBalance: Sendable, Equatable {
  public var amount: Money
  /// `balance_version`: raised by PostgreSQL on every change of the
  /// balance, so an older reading never replaces a newer one.
  public var version: Int64
  /// `customer_24hr_spend` / `supplier_24hr_spend` as stored (zero for wallets).
  public var spent24h: Money

  public init(amount: Money, version: Int64, spent24h: Money = .zero) {
    self.amount = amount
    self.version = version
    self.spent24h = spent24h
  }
}
