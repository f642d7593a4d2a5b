/// The two prices of one call, fixed at its answer: what the customer
/// pays (the ingress service's plan) and what the supplier that carried it
/// costs (that egress service's plan). Rated when the call ends.
public struct CallRating: Sendable, Equatable {
  public var customer: RateQuote?
  public var supplier: RateQuote?

  public init(customer: RateQuote? = nil, supplier: RateQuote? = nil) {
    self.customer = customer
    self.supplier = supplier
  }

  /// Rates a call that was up `durationMs` from answer to end (nil: never
  /// answered, which costs nothing on either side).
  public func charges(durationMs: Int64?) -> CallCharges {
    let price = customer?.charge(durationMs: durationMs)
    let cost = supplier?.charge(durationMs: durationMs)
    var margin: Money?
    if let customer, let supplier, let price, let cost {
      if customer.currency == supplier.currency {
        margin = price.amount.subtracting(cost.amount)
      } else if let target = customer.exchangeRate, let source = supplier.exchangeRate {
        // The cost converted (half up), then subtracted: exact, or nil.
        let converted = Money.dividing(Int128(cost.amount.micros) * Int128(target), by: Int128(source))
        margin = converted.flatMap { price.amount.subtracting($0) }
      }
    }
    return CallCharges(customer: price, supplier: cost, margin: margin)
  }
}

/// A rated call: the customer's price, the supplier's cost and the margin
/// (price minus cost, in the customer's currency, the cost converted at the
/// exchange rates of the call's start and rounded half up).
public struct CallCharges: Sendable, Equatable {
  public var customer: Charge?
  public var supplier: Charge?
  public var margin: Money?

  public init(customer: Charge? = nil, supplier: Charge? = nil, margin: Money? = nil) {
    self.customer = customer
    self.supplier = supplier
    self.margin = margin
  }
}
