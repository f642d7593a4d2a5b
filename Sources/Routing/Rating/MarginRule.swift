/// A customer rating plan's margin enforcement (`margin_enforcement`,
/// `min_margin`): which suppliers may carry a call, comparing the
/// customer's rate per minute with the supplier's, in the customer's
/// currency.
///
/// - `off`: every supplier may carry it, at a loss or not.
/// - `absolute(m)`: the supplier's rate may be at most the customer's rate
///   minus `m` (money per minute in the customer's currency).
/// - `percent(p)`: the margin must be at least `p` percent of the
///   customer's rate: supplier ≤ customer × (1 − p/100).
///
/// Connection fees are not part of the comparison. A supplier rate in
/// another currency is converted first, rounded half up to the millionth.
public enum MarginRule: Sendable, Equatable {
  case off
  case absolute(Money)
  /// `p` percent, with six decimals (`Money` is just the decimal here).
  case percent(Money)

  /// Whether a supplier rate (already in the customer's currency) keeps
  /// the margin on a customer rate.
  public func allows(customerRate: Money, supplierRate: Money) -> Bool {
    switch self {
    case .off:
      return true
    case .absolute(let minimum):
      return Int128(customerRate.micros) - Int128(supplierRate.micros) >= Int128(minimum.micros)
    case .percent(let percent):
      // (customer − supplier) × 100 ≥ customer × p
      let margin =
        (Int128(customerRate.micros) - Int128(supplierRate.micros)) * 100 * Int128(Money.microsPerUnit)
      return margin >= Int128(customerRate.micros) * Int128(percent.micros)
    }
  }

  /// Whether a supplier's quote keeps the margin on the customer's quote,
  /// converting currencies; a supplier in a currency without an exchange
  /// rate fails unless enforcement is off.
  public func allows(customer: RateQuote, supplier: RateQuote, currencies: Currencies) -> Bool {
    if self == .off { return true }
    guard
      let converted = currencies.convert(
        supplier.ratePerMinute, from: supplier.currency, to: customer.currency)
    else { return false }
    return allows(customerRate: customer.ratePerMinute, supplierRate: converted)
  }
}
