import PropertyBased
import Testing

@testable import Routing

/// The margin rule over whole calls, on random pairs of quotes: whenever a
/// supplier passes, no call duration loses more than the minimum margin
/// (to within the rounding of the amounts beyond the first cycle, where the
/// per-minute rates decide; within it, exactly).
@Suite struct MarginPropertyTests {
  static let increments = [(1, 1), (6, 6), (30, 6), (60, 60), (60, 1), (1, 60), (30, 30), (120, 60), (10, 7)]
  static let currencies = Currencies(rates: ["USD": Currencies.rateScale, "EUR": 9_200_000_000])!

  static func quote(_ rate: Int, _ fee: Int, _ increments: Int, _ currency: String) -> RateQuote {
    let (initial, recurring) = Self.increments[increments]
    return RateQuote(
      ratingPlanID: "p", prefix: "1", currency: currency, ratePerMinute: Money(micros: Int64(rate)),
      connectionFee: Money(micros: Int64(fee)),
      increments: BillingIncrements(initial: initial, recurring: recurring)!)
  }

  /// Checks every second up to 30 minutes (and the hour's ends).
  static func worstShortfall(_ rule: MarginRule, _ customer: RateQuote, _ supplier: RateQuote) -> Int64 {
    var worst: Int64 = .min
    for seconds in Array(Int64(1)...1_800) + [3_599, 3_600, 7_200] {
      let price = customer.charge(durationMs: seconds * 1000).amount
      let cost = currencies.convert(
        supplier.charge(durationMs: seconds * 1000).amount, from: supplier.currency, to: customer.currency)!
      let margin = price.micros - cost.micros
      let required: Int64
      switch rule {
      case .off: required = .min
      case .absolute(let m): required = m.micros * seconds / 60
      case .percent(let p): required = Int64(Int128(price.micros) * Int128(p.micros) / 100_000_000)
      }
      worst = max(worst, required - margin)
    }
    return worst
  }

  @Test func aPassingSupplierNeverLosesMoreThanTheMinimumMargin() async {
    await propertyCheck(
      count: 300,
      input: Gen.int(in: 0...30_000), Gen.int(in: 0...30_000), Gen.int(in: 0...2_000),
      Gen.int(in: 0...2_000), Gen.int(in: 0...(Self.increments.count - 1)),
      Gen.int(in: 0...(Self.increments.count - 1)),
      Gen.int(in: 0...5)
    ) { customerRate, supplierRate, customerFee, supplierFee, customerIncrements, supplierIncrements, mode in
      let rules: [MarginRule] = [
        .absolute(.zero), .absolute(Money(micros: 1_000)), .percent(Money(micros: 5_000_000)),
        .percent(.zero), .absolute(Money(micros: 500)), .percent(Money(micros: 20_000_000)),
      ]
      let rule = rules[mode]
      let customer = Self.quote(customerRate, customerFee, customerIncrements, "USD")
      let supplier = Self.quote(
        supplierRate, supplierFee, supplierIncrements, mode.isMultiple(of: 2) ? "USD" : "EUR")
      guard rule.allows(customer: customer, supplier: supplier, currencies: Self.currencies) else { return }
      // Same currency: exact. Across currencies the record converts the
      // cost once, rounded: a millionth.
      let tolerance: Int64 = supplier.currency == customer.currency ? 0 : 1
      #expect(Self.worstShortfall(rule, customer, supplier) <= tolerance)
    }
  }
}
