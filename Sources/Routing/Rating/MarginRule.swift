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
/// These are the rules on rates per minute; a route's supplier is checked
/// over whole calls, connection fees and billing increments included
/// (`MarginRule+Durations`). A supplier rate in another currency is
/// converted first, rounded half up to the millionth.
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
}
