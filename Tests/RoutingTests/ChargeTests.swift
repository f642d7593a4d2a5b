import Testing

@testable import Routing

@Suite struct ChargeTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var label: String
    /// Millionths per minute.
    var rate: Int64
    var fee: Int64 = 0
    var increments: (Int, Int) = (1, 1)
    var durationMs: Int64
    var seconds: Int64
    var amount: Int64

    var testDescription: String { label }
  }

  static let cases: [Case] = [
    Case(
      label: "65 s on 60/60", rate: 12_000, increments: (60, 60), durationMs: 65_000, seconds: 120,
      amount: 24_000),
    Case(
      label: "65 s on 6/6", rate: 12_000, increments: (6, 6), durationMs: 65_000, seconds: 66, amount: 13_200),
    Case(
      label: "65 s on 30/6", rate: 12_000, increments: (30, 6), durationMs: 65_000, seconds: 66,
      amount: 13_200),
    Case(
      label: "65 s on 1/1", rate: 12_000, increments: (1, 1), durationMs: 65_000, seconds: 65, amount: 13_000),
    Case(
      label: "65 s on 60/1", rate: 12_000, increments: (60, 1), durationMs: 65_000, seconds: 65,
      amount: 13_000),
    Case(
      label: "65 s on 1/60", rate: 12_000, increments: (1, 60), durationMs: 65_000, seconds: 121,
      amount: 24_200),
    Case(
      label: "fee + 65 s on 60/60", rate: 12_000, fee: 50_000, increments: (60, 60), durationMs: 65_000,
      seconds: 120, amount: 74_000),
    Case(
      label: "fee + 65 s on 6/6", rate: 12_000, fee: 50_000, increments: (6, 6), durationMs: 65_000,
      seconds: 66,
      amount: 63_200),
    // Boundary second on 60/60 at 1.000000 per minute.
    Case(
      label: "60000 ms on 60/60", rate: 1_000_000, increments: (60, 60), durationMs: 60_000, seconds: 60,
      amount: 1_000_000),
    Case(
      label: "60001 ms on 60/60", rate: 1_000_000, increments: (60, 60), durationMs: 60_001, seconds: 120,
      amount: 2_000_000),
    // 0.06 per minute is 0.001 per second.
    Case(label: "999 ms on 1/1", rate: 60_000, durationMs: 999, seconds: 1, amount: 1_000),
    Case(label: "1000 ms on 1/1", rate: 60_000, durationMs: 1000, seconds: 1, amount: 1_000),
    Case(label: "1001 ms on 1/1", rate: 60_000, durationMs: 1001, seconds: 2, amount: 2_000),
    // Rounding at the millionth: rate × seconds / 60 ending in exactly .5 rounds up, below it down.
    Case(label: "12345 × 2 / 60 = 411.5", rate: 12_345, durationMs: 2_000, seconds: 2, amount: 412),
    Case(label: "12330 × 1 / 60 = 205.5", rate: 12_330, durationMs: 1_000, seconds: 1, amount: 206),
    Case(label: "12329 × 1 / 60 = 205.48", rate: 12_329, durationMs: 1_000, seconds: 1, amount: 205),
    Case(label: "12331 × 1 / 60 = 205.52", rate: 12_331, durationMs: 1_000, seconds: 1, amount: 206),
    Case(label: "1 × 30 / 60 = 0.5", rate: 1, durationMs: 30_000, seconds: 30, amount: 1),
    Case(label: "1 × 29 / 60 = 0.48", rate: 1, durationMs: 29_000, seconds: 29, amount: 0),
    Case(label: "fee + 205.5", rate: 12_330, fee: 1, durationMs: 1_000, seconds: 1, amount: 207),
    // A rate of zero.
    Case(label: "rate 0, no fee", rate: 0, increments: (60, 60), durationMs: 65_000, seconds: 120, amount: 0),
    Case(
      label: "rate 0 with fee", rate: 0, fee: 100_000, increments: (60, 60), durationMs: 65_000, seconds: 120,
      amount: 100_000),
    // Answered but zero milliseconds long: no seconds, the connection fee only.
    Case(
      label: "0 ms with fee", rate: 12_000, fee: 50_000, increments: (60, 60), durationMs: 0, seconds: 0,
      amount: 50_000),
    Case(label: "0 ms without fee", rate: 12_000, increments: (60, 60), durationMs: 0, seconds: 0, amount: 0),
    Case(
      label: "24 h at 1.000000 per minute", rate: 1_000_000, durationMs: 86_400_000, seconds: 86_400,
      amount: 1_440_000_000),
  ]

  private static func quote(_ c: Case) throws -> RateQuote {
    RateQuote(
      ratingPlanID: "rp", prefix: "49", currency: "EUR", ratePerMinute: Money(micros: c.rate),
      connectionFee: Money(micros: c.fee),
      increments: try #require(BillingIncrements(initial: c.increments.0, recurring: c.increments.1)))
  }

  @Test(arguments: cases)
  func charge(_ c: Case) throws {
    let charge = try Self.quote(c).charge(durationMs: c.durationMs)
    #expect(charge == Charge(billableSeconds: c.seconds, amount: Money(micros: c.amount)))
  }

  /// Not answered: nothing, whatever the rate and the connection fee.
  @Test(arguments: cases)
  func unansweredCostsNothing(_ c: Case) throws {
    #expect(try Self.quote(c).charge(durationMs: nil) == Charge(billableSeconds: 0, amount: .zero))
  }

  /// The same call always rates to the same amount.
  @Test(arguments: cases)
  func sameCallSameAmount(_ c: Case) throws {
    let first = try Self.quote(c).charge(durationMs: c.durationMs)
    for _ in 0..<100 {
      #expect(try Self.quote(c).charge(durationMs: c.durationMs) == first)
    }
  }

  /// Issue 17's overflow row: an interval of 2147483647 s, a rate and a fee
  /// near a million. Such intervals are not increments at all; the largest
  /// quote the loader admits, over any duration, charges exactly.
  @Test func theOverflowRowCannotBeBuiltAndTheLargestQuoteChargesExactly() {
    #expect(BillingIncrements(initial: 2_147_483_647, recurring: 2_147_483_647) == nil)
    #expect(BillingIncrements(initial: 3_601, recurring: 1) == nil)
    let largest = RateQuote(
      ratingPlanID: "p", prefix: "1", currency: "USD", ratePerMinute: Money("999999.999999")!,
      connectionFee: Money("999999.999999")!, increments: BillingIncrements(initial: 3600, recurring: 3600)!)
    #expect(largest.isWithinBounds)
    // Seven days (the longest dialog lifetime): 168 blocks of an hour.
    let week = largest.charge(durationMs: 7 * 86_400_000)
    #expect(week.billableSeconds == 604_800)
    #expect(week.amount == Money(micros: 999_999_999_999 + 999_999_999_999 * 10_080))
    // Any duration at all, up to Int64.max ms: charged as 400 days at most, no trap.
    for durationMs in [Int64.max, Int64.max - 1, RateQuote.longestChargedMs + 1] {
      let charge = largest.charge(durationMs: durationMs)
      #expect(charge.billableSeconds == 400 * 86_400)
      #expect(charge.amount == Money(micros: 999_999_999_999 + 999_999_999_999 * 576_000))
    }
    #expect(BillingIncrements.perSecond.billableSeconds(durationMs: .max) == Int64.max / 1000 + 1)
  }

  /// A 46-day call's billable seconds fit the `billable_seconds integer` columns.
  @Test func aFortySixDayCallsBillableSecondsFitInThirtyTwoBits() {
    let quote = RateQuote(
      ratingPlanID: "p", prefix: "1", currency: "USD", ratePerMinute: Money("0.01")!,
      increments: BillingIncrements(initial: 3600, recurring: 3600)!)
    let charge = quote.charge(durationMs: 46 * 86_400_000 + 1)
    #expect(charge.billableSeconds == 46 * 86_400 + 3600)
    #expect(Int32(exactly: charge.billableSeconds) != nil)
  }

  /// A conversion or margin beyond what `Money` holds is refused (nil), not
  /// saturated at `Int64.max` as before.
  @Test func conversionsAndMarginsBeyondMoneyAreRefused() throws {
    let currencies = try #require(
      Currencies(rates: ["USD": Currencies.rateScale, "XAU": 1, "IDR": 99_999_999 * Currencies.rateScale]))
    #expect(currencies.convert(Money("999999")!, from: "XAU", to: "IDR") == nil)
    #expect(currencies.convert(Money("1")!, from: "USD", to: "IDR") == Money("99999999"))
    let customer = RateQuote(
      ratingPlanID: "c", prefix: "1", currency: "IDR", ratePerMinute: Money("1")!,
      exchangeRate: 99_999_999 * Currencies.rateScale)
    let supplier = RateQuote(
      ratingPlanID: "s", prefix: "1", currency: "XAU", ratePerMinute: Money("999999")!, exchangeRate: 1)
    let charges = CallRating(customer: customer, supplier: supplier).charges(durationMs: 600_000)
    #expect(charges.customer?.amount == Money("10"))
    #expect(charges.supplier?.amount == Money("9999990"))
    #expect(charges.margin == nil)
  }

  @Test func rateInForceIsHalfOpen() {
    let rate = Rate(ratePerMinute: Money(micros: 1), effectiveFromMs: 1_000, effectiveToMs: 2_000)
    #expect(!rate.isInForce(atUnixMs: 999))
    #expect(rate.isInForce(atUnixMs: 1_000))
    #expect(rate.isInForce(atUnixMs: 1_999))
    #expect(!rate.isInForce(atUnixMs: 2_000))
    let always = Rate(ratePerMinute: .zero)
    #expect(always.isInForce(atUnixMs: .min))
    #expect(always.isInForce(atUnixMs: 0))
    #expect(always.isInForce(atUnixMs: .max - 1))
    #expect(always.connectionFee == .zero)
    #expect(always.increments == .perSecond)
    #expect(always.timeClass == nil)
  }
}
