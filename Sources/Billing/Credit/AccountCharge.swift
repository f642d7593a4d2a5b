import Routing

/// What one ended call moves on one account: written with its call record,
/// in the same database transaction, exactly once (docs/credit.md).
public struct AccountCharge: Sendable, Equatable {
  public var account: AccountRef
  public var column: BalanceColumn
  /// The amount in the account's currency, never negative.
  public var amount: Money
  /// ISO 4217 code of the account's currency.
  public var currency: String
  /// True when the charge raises the balance (a bilateral carrier's
  /// supplier side: the switch owes it the cost); false for a debit.
  public var credits: Bool

  public init(
    account: AccountRef, column: BalanceColumn, amount: Money, currency: String, credits: Bool = false
  ) {
    self.account = account
    self.column = column
    self.amount = amount
    self.currency = currency
    self.credits = credits
  }
}
