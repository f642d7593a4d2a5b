import Testing

@testable import Routing

/// USD is the base; 1 USD buys 0.92 EUR, 0.79 GBP, 0.85 CHF.
let testCurrencies = Currencies(rates: [
  "USD": 10_000_000_000, "EUR": 9_200_000_000, "GBP": 7_900_000_000, "CHF": 8_500_000_000,
])!

@Suite struct CurrenciesTests {
  @Test(arguments: [
    ("1", Int64(10_000_000_000)),
    ("1.0000000000", 10_000_000_000),
    ("1.00000000000000", 10_000_000_000),
    ("0.92", 9_200_000_000),
    ("0.7900000000", 7_900_000_000),
    ("149.5", 1_495_000_000_000),
    ("0.0000000001", 1),
    ("99999999", 999_999_990_000_000_000),
    ("99999999.9999999999", 999_999_999_999_999_999),
  ])
  func parsesRates(text: String, scaled: Int64) {
    #expect(Currencies.parseRate(text) == scaled)
  }

  @Test(arguments: [
    "0", "0.0", "0.00000000001", "0.12345678901", "100000000", "-1", "+1", "", ".5", "1.2.3", "1e3", "abc",
    " 1",
    "1,5",
  ])
  func refusesRates(text: String) {
    #expect(Currencies.parseRate(text) == nil)
  }

  @Test func nonPositiveRatesAreRefused() {
    #expect(Currencies(rates: ["USD": 10_000_000_000, "EUR": 0]) == nil)
    #expect(Currencies(rates: ["USD": -1]) == nil)
    #expect(Currencies(rates: [:]) == Currencies())
    #expect(testCurrencies.contains("EUR"))
    #expect(!testCurrencies.contains("XXX"))
    #expect(!testCurrencies.contains("eur"))
  }

  @Test(arguments: [
    (Int64(1_000_000), "EUR", "USD", Int64(1_086_957)),
    (1_000_000, "USD", "EUR", 920_000),
    (920_000, "EUR", "USD", 1_000_000),
    (1_000_000, "USD", "GBP", 790_000),
    (1_086_957, "USD", "GBP", 858_696),
    (858_696, "GBP", "EUR", 1_000_000),
    (1_000_000, "EUR", "GBP", 858_696),
    (7_900, "GBP", "EUR", 9_200),
    (0, "EUR", "GBP", 0),
    (-920_000, "EUR", "USD", -1_000_000),
    // 10 USD micros × 0.85 = 8.5 → 9 (half up), 17 × 0.85 = 14.45 → 14, negatives away from zero.
    (10, "USD", "CHF", 9),
    (17, "USD", "CHF", 14),
    (-10, "USD", "CHF", -9),
    (12_345, "EUR", "EUR", 12_345),
  ])
  func converts(micros: Int64, from: String, to: String, expected: Int64) {
    #expect(testCurrencies.convert(Money(micros: micros), from: from, to: to) == Money(micros: expected))
  }

  /// EUR → USD → GBP → EUR: each step rounds to the millionth, so the way
  /// back lands within one millionth; these are the exact amounts.
  @Test(arguments: [
    (Int64(1_000_000), Int64(1_086_957), Int64(858_696), Int64(1_000_000)),
    (12_345, 13_418, 10_600, 12_344),
    (1, 1, 1, 1),
    (7, 8, 6, 7),
    (999_999_999, 1_086_956_521, 858_695_652, 1_000_000_000),
  ])
  func roundTrip(eur: Int64, usd: Int64, gbp: Int64, back: Int64) {
    let toUSD = testCurrencies.convert(Money(micros: eur), from: "EUR", to: "USD")
    #expect(toUSD == Money(micros: usd))
    let toGBP = toUSD.flatMap { testCurrencies.convert($0, from: "USD", to: "GBP") }
    #expect(toGBP == Money(micros: gbp))
    let toEUR = toGBP.flatMap { testCurrencies.convert($0, from: "GBP", to: "EUR") }
    #expect(toEUR == Money(micros: back))
  }

  @Test(arguments: [UInt64(1), 2, 3])
  func roundTripStaysWithinOneMillionth(seed: UInt64) throws {
    var random = Routing.SplitMix64(seed: seed)
    for _ in 0..<2000 {
      let amount = Money(micros: Int64(random.next() % 100_000_000_000) - 50_000_000_000)
      let usd = try #require(testCurrencies.convert(amount, from: "EUR", to: "USD"))
      let gbp = try #require(testCurrencies.convert(usd, from: "USD", to: "GBP"))
      let back = try #require(testCurrencies.convert(gbp, from: "GBP", to: "EUR"))
      #expect(abs(back.micros - amount.micros) <= 1)
    }
  }

  @Test(arguments: [("XXX", "USD"), ("USD", "XXX"), ("XXX", "YYY"), ("eur", "USD")])
  func unknownCurrencyConvertsToNil(from: String, to: String) {
    #expect(testCurrencies.convert(Money(micros: 1_000_000), from: from, to: to) == nil)
    #expect(Currencies().convert(Money(micros: 1_000_000), from: from, to: to) == nil)
  }

  /// Exact: equal values in different currencies compare 0, even where
  /// converting one of them would round.
  @Test(arguments: [
    (Int64(920_000), "EUR", Int64(1_000_000), "USD", 0),
    (920_001, "EUR", 1_000_000, "USD", 1),
    (919_999, "EUR", 1_000_000, "USD", -1),
    (790_000, "GBP", 920_000, "EUR", 0),
    (7_900, "GBP", 9_200, "EUR", 0),
    (7_901, "GBP", 9_200, "EUR", 1),
    (-920_000, "EUR", -1_000_000, "USD", 0),
    (-920_001, "EUR", -1_000_000, "USD", -1),
    (0, "EUR", 0, "GBP", 0),
    // 1 EUR micro is 1.087 USD micros: converting rounds it to 1, the comparison does not.
    (1, "EUR", 1, "USD", 1),
    // 9199 EUR micros is 9998.9 USD micros: less than 9999 though it converts to 9999.
    (9_199, "EUR", 9_999, "USD", -1),
    (5, "USD", 5, "USD", 0),
    (4, "USD", 5, "USD", -1),
    (6, "USD", 5, "USD", 1),
  ])
  func comparesExactly(lhs: Int64, lhsCurrency: String, rhs: Int64, rhsCurrency: String, expected: Int) {
    #expect(
      testCurrencies.compare(Money(micros: lhs), lhsCurrency, Money(micros: rhs), rhsCurrency) == expected)
    #expect(
      testCurrencies.compare(Money(micros: rhs), rhsCurrency, Money(micros: lhs), lhsCurrency) == -expected)
  }

  @Test(arguments: [("XXX", "USD"), ("USD", "XXX"), ("XXX", "YYY")])
  func unknownCurrencyComparesToNil(lhs: String, rhs: String) {
    #expect(testCurrencies.compare(Money(micros: 1), lhs, Money(micros: 1), rhs) == nil)
  }
}
