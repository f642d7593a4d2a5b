import Testing

@testable import Routing

@Suite struct MarginRuleTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var rule: MarginRule
    var customer: Int64
    var supplier: Int64
    var allowed: Bool

    var testDescription: String { "\(rule) customer \(customer) supplier \(supplier) → \(allowed)" }
  }

  static func percent(_ text: String) -> MarginRule { .percent(Money(text)!) }
  static func absolute(_ text: String) -> MarginRule { .absolute(Money(text)!) }

  static let cases: [Case] = [
    // off: anything, at a loss or not.
    Case(rule: .off, customer: 12_000, supplier: 12_000, allowed: true),
    Case(rule: .off, customer: 12_000, supplier: 1_000_000, allowed: true),
    Case(rule: .off, customer: 0, supplier: 1, allowed: true),
    // absolute 0.002: supplier ≤ customer − 0.002.
    Case(rule: absolute("0.002"), customer: 12_000, supplier: 9_999, allowed: true),
    Case(rule: absolute("0.002"), customer: 12_000, supplier: 10_000, allowed: true),
    Case(rule: absolute("0.002"), customer: 12_000, supplier: 10_001, allowed: false),
    Case(rule: absolute("0.002"), customer: 0, supplier: 0, allowed: false),
    Case(rule: absolute("0.002"), customer: 1_000, supplier: 0, allowed: false),
    // absolute 0: no loss.
    Case(rule: absolute("0"), customer: 12_000, supplier: 12_000, allowed: true),
    Case(rule: absolute("0"), customer: 12_000, supplier: 12_001, allowed: false),
    Case(rule: absolute("0"), customer: 0, supplier: 0, allowed: true),
    Case(rule: absolute("0"), customer: 0, supplier: 1, allowed: false),
    // percent 10: supplier ≤ customer × 0.9.
    Case(rule: percent("10"), customer: 12_000, supplier: 10_799, allowed: true),
    Case(rule: percent("10"), customer: 12_000, supplier: 10_800, allowed: true),
    Case(rule: percent("10"), customer: 12_000, supplier: 10_801, allowed: false),
    // percent 12.5: supplier ≤ customer × 0.875.
    Case(rule: percent("12.5"), customer: 10_000, supplier: 8_750, allowed: true),
    Case(rule: percent("12.5"), customer: 10_000, supplier: 8_751, allowed: false),
    // percent 33.333333: 3.000000 × 0.66666667 = 2.00000001, so 2.000000 passes and 2.000001 does not.
    Case(rule: percent("33.333333"), customer: 3_000_000, supplier: 2_000_000, allowed: true),
    Case(rule: percent("33.333333"), customer: 3_000_000, supplier: 2_000_001, allowed: false),
    // percent 0: no loss.
    Case(rule: percent("0"), customer: 12_000, supplier: 12_000, allowed: true),
    Case(rule: percent("0"), customer: 12_000, supplier: 12_001, allowed: false),
    // percent 100: only a free supplier.
    Case(rule: percent("100"), customer: 12_000, supplier: 0, allowed: true),
    Case(rule: percent("100"), customer: 12_000, supplier: 1, allowed: false),
    // A customer rate of zero: a percentage of nothing is nothing, so only a free supplier passes.
    Case(rule: percent("10"), customer: 0, supplier: 0, allowed: true),
    Case(rule: percent("10"), customer: 0, supplier: 1, allowed: false),
    Case(rule: percent("0"), customer: 0, supplier: 0, allowed: true),
    // Large rates do not overflow.
    Case(rule: percent("50"), customer: .max, supplier: .max / 2, allowed: true),
    Case(rule: percent("50"), customer: .max, supplier: .max / 2 + 1, allowed: false),
    Case(rule: absolute("0.000001"), customer: .max, supplier: .max - 1, allowed: true),
    Case(rule: absolute("0.000001"), customer: .min, supplier: .max, allowed: false),
  ]

  @Test(arguments: cases)
  func allowsInTheCustomersCurrency(_ c: Case) {
    #expect(
      c.rule.allows(customerRate: Money(micros: c.customer), supplierRate: Money(micros: c.supplier))
        == c.allowed)
  }

  struct CrossCase: Sendable, CustomTestStringConvertible {
    var rule: MarginRule
    var customer: (Int64, String)
    var supplier: (Int64, String)
    var allowed: Bool

    var testDescription: String {
      "\(rule) customer \(customer.0) \(customer.1) supplier \(supplier.0) \(supplier.1) → \(allowed)"
    }
  }

  /// The supplier's rate is converted to the customer's currency (USD 1 = EUR 0.92 = GBP 0.79).
  static let crossCases: [CrossCase] = [
    // 9200 EUR = 10000 USD: exactly the 0.002 USD margin below 0.012 USD.
    CrossCase(rule: absolute("0.002"), customer: (12_000, "USD"), supplier: (9_200, "EUR"), allowed: true),
    CrossCase(rule: absolute("0.002"), customer: (12_000, "USD"), supplier: (9_199, "EUR"), allowed: true),
    // 9201 EUR = 10001.09 USD.
    CrossCase(rule: absolute("0.002"), customer: (12_000, "USD"), supplier: (9_201, "EUR"), allowed: false),
    // 8% of 0.010000 EUR: the supplier may cost 0.009200 EUR = 0.010000 USD = 0.007900 GBP.
    CrossCase(rule: percent("8"), customer: (10_000, "EUR"), supplier: (10_000, "USD"), allowed: true),
    CrossCase(rule: percent("8"), customer: (10_000, "EUR"), supplier: (10_001, "USD"), allowed: false),
    CrossCase(rule: percent("8"), customer: (10_000, "EUR"), supplier: (7_900, "GBP"), allowed: true),
    CrossCase(rule: percent("8"), customer: (10_000, "EUR"), supplier: (7_901, "GBP"), allowed: false),
    CrossCase(rule: percent("8"), customer: (10_000, "EUR"), supplier: (9_200, "EUR"), allowed: true),
    CrossCase(rule: percent("8"), customer: (10_000, "EUR"), supplier: (9_201, "EUR"), allowed: false),
    CrossCase(rule: absolute("0"), customer: (0, "EUR"), supplier: (0, "GBP"), allowed: true),
    CrossCase(rule: percent("10"), customer: (0, "EUR"), supplier: (1, "GBP"), allowed: false),
    // A supplier currency without an exchange rate fails unless enforcement is off.
    CrossCase(rule: .off, customer: (12_000, "USD"), supplier: (1, "XXX"), allowed: true),
    CrossCase(rule: absolute("0"), customer: (12_000, "USD"), supplier: (1, "XXX"), allowed: false),
    CrossCase(rule: percent("0"), customer: (12_000, "USD"), supplier: (1, "XXX"), allowed: false),
    CrossCase(rule: .off, customer: (12_000, "USD"), supplier: (1_000_000, "EUR"), allowed: true),
  ]

  @Test(arguments: crossCases)
  func allowsAcrossCurrencies(_ c: CrossCase) {
    let customer = RateQuote(
      ratingPlanID: "customer", prefix: "49", currency: c.customer.1,
      ratePerMinute: Money(micros: c.customer.0),
      connectionFee: Money(micros: 1_000_000))
    let supplier = RateQuote(
      ratingPlanID: "supplier", prefix: "4930", currency: c.supplier.1,
      ratePerMinute: Money(micros: c.supplier.0))
    #expect(c.rule.allows(customer: customer, supplier: supplier, currencies: testCurrencies) == c.allowed)
  }

  /// Connection fees count (issue 17): a supplier fee of a millionth loses
  /// money on a short call when the rates leave nothing for it.
  @Test(arguments: [(Int64(0), true), (1, false), (1_000_000, false)])
  func connectionFeesCount(supplierFee: Int64, allowed: Bool) {
    let customer = RateQuote(
      ratingPlanID: "c", prefix: "1", currency: "USD", ratePerMinute: Money(micros: 12_000))
    let supplier = RateQuote(
      ratingPlanID: "s", prefix: "1", currency: "USD", ratePerMinute: Money(micros: 10_000),
      connectionFee: Money(micros: supplierFee))
    #expect(
      Self.absolute("0.002").allows(customer: customer, supplier: supplier, currencies: testCurrencies)
        == allowed)
    #expect(
      !Self.absolute("0.002001").allows(customer: customer, supplier: supplier, currencies: testCurrencies))
  }

  static func quote(_ rate: Int64, fee: Int64 = 0, _ increments: (Int, Int), currency: String = "USD")
    -> RateQuote
  {
    RateQuote(
      ratingPlanID: "p", prefix: "1", currency: currency, ratePerMinute: Money(micros: rate),
      connectionFee: Money(micros: fee),
      increments: BillingIncrements(initial: increments.0, recurring: increments.1)!)
  }

  struct IncrementCase: Sendable, CustomTestStringConvertible {
    var label: String
    var rule: MarginRule
    var customer: RateQuote
    var supplier: RateQuote
    var allowed: Bool
    var testDescription: String { label }
  }

  static let incrementCases: [IncrementCase] = [
    // The case: 0.009/min on 60/60 passed against 0.010/min on 1/1
    // with absolute 0, and a 10 s call lost 0.0075.
    IncrementCase(
      label: "60/60 supplier under a 1/1 customer", rule: absolute("0"), customer: quote(10_000, (1, 1)),
      supplier: quote(9_000, (60, 60)), allowed: false),
    IncrementCase(
      label: "same increments", rule: absolute("0"), customer: quote(10_000, (1, 1)),
      supplier: quote(9_000, (1, 1)), allowed: true),
    IncrementCase(
      label: "a 1/1 supplier under a 60/60 customer", rule: absolute("0"), customer: quote(10_000, (60, 60)),
      supplier: quote(10_000, (1, 1)), allowed: true),
    IncrementCase(
      label: "the margin exactly, per second", rule: absolute("0.001"), customer: quote(10_000, (1, 1)),
      supplier: quote(9_000, (1, 1)), allowed: true),
    IncrementCase(
      label: "10 percent exactly, per second", rule: percent("10"), customer: quote(10_000, (1, 1)),
      supplier: quote(9_000, (1, 1)), allowed: true),
    IncrementCase(
      label: "30/6 supplier under 6/6 customer, percent", rule: percent("5"), customer: quote(10_000, (6, 6)),
      supplier: quote(9_000, (30, 6)), allowed: false),
    // 1 s: 0.000167 + fee against 0.009000.
    IncrementCase(
      label: "a customer fee pays for the supplier's first minute", rule: absolute("0"),
      customer: quote(10_000, fee: 8_833, (1, 1)), supplier: quote(9_000, (60, 60)), allowed: true),
    IncrementCase(
      label: "a customer fee one millionth short", rule: absolute("0"),
      customer: quote(10_000, fee: 8_832, (1, 1)), supplier: quote(9_000, (60, 60)), allowed: false),
    // A cycle of 3599 × 3600 block ends: the conservative bound decides.
    IncrementCase(
      label: "long cycle, fee covers a block", rule: absolute("0"),
      customer: quote(10_000, fee: 1_000_000, (1, 3599)), supplier: quote(9_000, (1, 3600)), allowed: true),
    IncrementCase(
      label: "long cycle, no fee", rule: absolute("0"), customer: quote(10_000, (1, 3599)),
      supplier: quote(9_000, (1, 3600)), allowed: false),
  ]

  @Test(arguments: incrementCases)
  func marginsOverTheRealBillingIncrements(_ c: IncrementCase) {
    #expect(
      c.rule.allows(customer: c.customer, supplier: c.supplier, currencies: testCurrencies) == c.allowed)
  }
}
