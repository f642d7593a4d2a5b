/// Margin enforcement over what calls are really billed (issue 17): the
/// customer's charge and the supplier's cost are step functions of the
/// call's duration (connection fee, first interval, then blocks), so a
/// supplier at 0.009/min on 60/60 loses money on a 10 s call against a
/// customer at 0.010/min on 1/1, although its rate per minute is lower.
///
/// A supplier keeps the margin when, for **every** duration of `s` billable
/// seconds (answered calls), the customer's charge minus the supplier's cost
/// (converted to the customer's currency as the call record converts it)
/// meets the minimum:
/// - `absolute(m)`: at least `m` per minute of the call, `m × s / 60`
///   (rounded down to the millionth; with `m = 0`: never a loss);
/// - `percent(p)`: at least `p` percent of the customer's charge (rounded
///   down to the millionth).
///
/// Both charges are constant between the ends of their billing blocks, so
/// the margin is checked at each block end of either side (where the
/// requirement is largest for its charges) up to one common cycle past both
/// first intervals (`max(initial) + lcm(recurring)`); past that the blocks
/// repeat, and the per-minute rates decide (the customer's must keep the
/// margin over the supplier's, so longer calls never do worse than the
/// cycle, to within the rounding of the amounts). When a cycle has more than
/// `maximumBreakpoints` block ends (intervals like 3599/3600), a
/// conservative bound decides instead: it never passes a supplier that
/// loses, but may refuse one that would not.
extension MarginRule {
  /// The most block ends checked one by one; beyond, the conservative bound.
  public static let maximumBreakpoints = 4_096

  /// Whether `supplier` keeps the margin on `customer` for every duration,
  /// converting currencies; a supplier in a currency without an exchange
  /// rate (or whose amounts cannot be converted exactly) fails unless
  /// enforcement is off.
  public func allows(customer: RateQuote, supplier: RateQuote, currencies: Currencies) -> Bool {
    if self == .off { return true }
    guard
      let rate = currencies.convert(supplier.ratePerMinute, from: supplier.currency, to: customer.currency),
      let fee = currencies.convert(supplier.connectionFee, from: supplier.currency, to: customer.currency)
    else { return false }
    // Long calls: the rates per minute.
    guard allows(customerRate: customer.ratePerMinute, supplierRate: rate) else { return false }
    let c = customer.increments
    let s = supplier.increments
    let start = Int64(max(c.initial, s.initial))
    let cycle = Self.lcm(Int64(c.recurring), Int64(s.recurring))
    let horizon = start + cycle
    let count = horizon / Int64(c.recurring) + horizon / Int64(s.recurring) + 2
    guard count <= Int64(Self.maximumBreakpoints) else {
      return allowsBounded(customer: customer, supplierRate: rate, supplierFee: fee, supplierIncrements: s)
    }
    var nextCustomer = Int64(c.initial)
    var nextSupplier = Int64(s.initial)
    while true {
      let seconds = min(nextCustomer, nextSupplier)
      if seconds > horizon { return true }
      let price = customer.charge(durationMs: seconds * 1000).amount
      guard
        let cost = currencies.convert(
          supplier.charge(durationMs: seconds * 1000).amount, from: supplier.currency, to: customer.currency),
        meets(price: price, cost: cost, seconds: seconds)
      else { return false }
      if nextCustomer == seconds { nextCustomer += Int64(c.recurring) }
      if nextSupplier == seconds { nextSupplier += Int64(s.recurring) }
    }
  }

  /// Whether a call of `seconds` billable seconds charged `price` and
  /// costing `cost` (same currency) keeps the margin.
  public func meets(price: Money, cost: Money, seconds: Int64) -> Bool {
    let margin = Int128(price.micros) - Int128(cost.micros)
    switch self {
    case .off:
      return true
    case .absolute(let minimum):
      // margin ≥ floor(m × s / 60)
      return margin >= Self.floorDivide(Int128(minimum.micros) * Int128(seconds), 60)
    case .percent(let percent):
      // margin ≥ floor(price × p / 100), p in millionths of a percent
      let scale = 100 * Int128(Money.microsPerUnit)
      return margin >= Self.floorDivide(Int128(price.micros) * Int128(percent.micros), scale)
    }
  }

  /// The bound for cycles too long to walk: the customer's charge is at
  /// least its fee plus its rate over the exact duration, the supplier's at
  /// most its fee plus its rate over the duration and one whole block more;
  /// with the rates already keeping the margin, the fees must cover that
  /// block and a millionth of rounding on each side.
  func allowsBounded(
    customer: RateQuote, supplierRate: Money, supplierFee: Money, supplierIncrements: BillingIncrements
  ) -> Bool {
    let block = Int128(max(supplierIncrements.initial, supplierIncrements.recurring))
    // All in millionths × 60, so that the per-minute products stay exact.
    let customerFloor = 60 * Int128(customer.connectionFee.micros) - 60
    let supplierCeiling = 60 * Int128(supplierFee.micros) + Int128(supplierRate.micros) * block + 60
    switch self {
    case .off:
      return true
    case .absolute:
      return customerFloor >= supplierCeiling
    case .percent(let percent):
      let keep = 100 * Int128(Money.microsPerUnit) - Int128(percent.micros)
      return customerFloor * keep >= supplierCeiling * 100 * Int128(Money.microsPerUnit)
    }
  }

  static func floorDivide(_ numerator: Int128, _ denominator: Int128) -> Int128 {
    let quotient = numerator / denominator
    return (numerator % denominator != 0 && (numerator < 0) != (denominator < 0)) ? quotient - 1 : quotient
  }

  static func lcm(_ a: Int64, _ b: Int64) -> Int64 {
    var x = a
    var y = b
    while y != 0 { (x, y) = (y, x % y) }
    return a / x * b
  }
}
