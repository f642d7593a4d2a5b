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

  /// What a call of `durationMs` (answer to end) costs under this quote:
  /// nothing when it was not answered (`durationMs` nil), else the
  /// connection fee plus the rate for the billable seconds, the rate part
  /// rounded half up to the millionth.
  public func charge(durationMs: Int64?) -> Charge {
    guard let durationMs else { return Charge(billableSeconds: 0, amount: .zero) }
    let seconds = increments.billableSeconds(durationMs: durationMs)
    let usage = Money.dividing(Int128(ratePerMinute.micros) * Int128(seconds), by: 60)
    return Charge(billableSeconds: seconds, amount: connectionFee + usage)
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
