import Routing

/// One account a call is charged to, with the quote that prices it.
public struct CreditParty: Sendable, Equatable {
  public var account: AccountRef
  /// The rate as quoted (in the rating plan's currency).
  public var quote: RateQuote

  public init(account: AccountRef, quote: RateQuote) {
    self.account = account
    self.quote = quote
  }
}

/// Why credit stops a call (its SIP reason phrase says which).
public enum CreditShortage: Sendable, Equatable {
  /// The balance (down to the credit limit) cannot pay.
  case balance
  /// The rolling 24-hour spend limit would be crossed.
  case spendLimit
  /// The account is not loaded (a carrier added since the last reload).
  case unknownAccount
  /// The rate's currency cannot be converted into the account's.
  case noExchangeRate

  /// The SIP status and reason phrase of a call refused for this.
  public var refusal: (status: Int, reason: String) {
    switch self {
    case .balance: (402, "Insufficient Credit")
    case .spendLimit: (402, "24 Hour Spend Limit Reached")
    case .unknownAccount: (503, "Credit Account Unavailable")
    case .noExchangeRate: (503, "No Exchange Rate")
    }
  }
}
