/// One row of `rating_plan_rates` as the switch keeps it: the price of a
/// destination prefix for a period and, optionally, a time class.
public struct Rate: Sendable, Equatable {
  public var ratePerMinute: Money
  /// Charged once for every answered call.
  public var connectionFee: Money
  public var increments: BillingIncrements
  /// In force from this instant (Unix ms; `Int64.min` = always) ...
  public var effectiveFromMs: Int64
  /// ... up to, not including, this one (`Int64.max` = open-ended).
  public var effectiveToMs: Int64
  /// The time class it applies in; nil = at any time without a rate of its own.
  public var timeClass: String?

  public init(
    ratePerMinute: Money, connectionFee: Money = .zero, increments: BillingIncrements = .perSecond,
    effectiveFromMs: Int64 = .min, effectiveToMs: Int64 = .max, timeClass: String? = nil
  ) {
    self.ratePerMinute = ratePerMinute
    self.connectionFee = connectionFee
    self.increments = increments
    self.effectiveFromMs = effectiveFromMs
    self.effectiveToMs = effectiveToMs
    self.timeClass = timeClass
  }

  public func isInForce(atUnixMs unixMs: Int64) -> Bool {
    effectiveFromMs <= unixMs && unixMs < effectiveToMs
  }
}

/// The price of one call's destination under one plan, fixed when the call
/// starts (the rate in force then applies to the whole call).
public struct RateQuote: Sendable, Equatable {
  public var ratingPlanID: String
  /// The rate's prefix that matched.
  public var prefix: String
  /// ISO 4217 code of the plan's currency.
  public var currency: String
  public var ratePerMinute: Money
  public var connectionFee: Money
  public var increments: BillingIncrements
  /// The time class of the rate that matched (nil: an any-time rate).
  public var timeClass: String?
  /// The currency's exchange rate when the call was routed (`Currencies`
  /// scale), set by the call pipeline so the call is rated at the rate of
  /// its start; nil when unknown.
  public var exchangeRate: Int64?

  public init(
    ratingPlanID: String, prefix: String, currency: String, ratePerMinute: Money,
    connectionFee: Money = .zero,
    increments: BillingIncrements = .perSecond, timeClass: String? = nil, exchangeRate: Int64? = nil
  ) {
    self.ratingPlanID = ratingPlanID
    self.prefix = prefix
    self.currency = currency
    self.ratePerMinute = ratePerMinute
    self.connectionFee = connectionFee
    self.increments = increments
    self.timeClass = timeClass
    self.exchangeRate = exchangeRate
  }

  /// A rate or connection fee is below this (a million units): the loader
  /// refuses a row at or above it, naming the row, and the credit ledger
  /// refuses a quote converted to another currency that goes over it.
  public static let moneyBound = Money(micros: 1_000_000 * Money.microsPerUnit)

  /// The longest call a charge counts: 400 days. The switch ends every
  /// dialog far sooner (`proxy.max_dialog_lifetime_seconds`, at most 7 days),
  /// so no call reaches it; it is what makes every charge of a quote within
  /// bounds fit in `Money`: under a million a minute for 576,000 minutes
  /// plus a fee under a million is under 5.8 × 10¹⁷ millionths, and `Money`
  /// holds 9.2 × 10¹⁸.
  public static let longestChargedMs: Int64 = 400 * 86_400_000

  /// Whether the quote's rate and fee are within `moneyBound` and not
  /// negative: then every charge is exact.
  public var isWithinBounds: Bool {
    ratePerMinute >= .zero && ratePerMinute < Self.moneyBound && connectionFee >= .zero
      && connectionFee < Self.moneyBound
  }

  /// What a call of `durationMs` (answer to end) costs under this quote:
  /// nothing when it was not answered (`durationMs` nil), else the
  /// connection fee plus the rate for the billable seconds, the rate part
  /// rounded half up to the millionth. Exact for a quote within bounds
  /// (`isWithinBounds`, which the loader and the credit ledger make sure of)
  /// and any duration up to `longestChargedMs`; longer calls are charged
  /// that long. Computed in 128 bits: nothing here can overflow.
  public func charge(durationMs: Int64?) -> Charge {
    guard let durationMs else { return Charge(billableSeconds: 0, amount: .zero) }
    let seconds = increments.billableSeconds(durationMs: min(durationMs, Self.longestChargedMs))
    // (rate × seconds + 30) / 60, half up; the fee on top.
    let scaled = Int128(ratePerMinute.micros) * Int128(seconds)
    let usage = scaled >= 0 ? (scaled + 30) / 60 : -((-scaled + 30) / 60)
    let amount = Int128(connectionFee.micros) + usage
    return Charge(billableSeconds: seconds, amount: Money(micros: Int64(clamping: amount)))
  }
}

/// A rated call: its billable seconds and what they cost.
public struct Charge: Sendable, Equatable {
  public var billableSeconds: Int64
  public var amount: Money

  public init(billableSeconds: Int64, amount: Money) {
    self.billableSeconds = billableSeconds
    self.amount = amount
  }
}
