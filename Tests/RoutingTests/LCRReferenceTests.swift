import Testing

@testable import Routing

/// Least-cost order by the cost of a reference call (issue 17, rule 7):
/// connection fees and billing increments count, not only the rate per
/// minute.
@Suite struct LCRReferenceTests {
  static let currencies = Currencies(rates: ["USD": 10_000_000_000, "EUR": 9_200_000_000])!

  static func quote(
    _ rate: String, fee: String = "0", _ initial: Int = 1, _ recurring: Int = 1, currency: String = "USD"
  ) -> RateQuote {
    RateQuote(
      ratingPlanID: "r", prefix: "44", currency: currency, ratePerMinute: Money(rate)!,
      connectionFee: Money(fee)!, increments: BillingIncrements(initial: initial, recurring: recurring)!)
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var note: String
    var seconds: Int
    var quotes: [String: RateQuote]
    var listed: [String]
    var expected: [String]

    var testDescription: String { note }
  }

  static let cases: [Case] = [
    Case(
      note: "a fee makes the cheaper rate per minute dearer at 60 s", seconds: 60,
      quotes: ["fee": quote("0.009", fee: "0.002"), "plain": quote("0.010")], listed: ["fee", "plain"],
      expected: ["plain", "fee"]),
    Case(
      note: "the fee no longer decides at 300 s", seconds: 300,
      quotes: ["fee": quote("0.009", fee: "0.002"), "plain": quote("0.010")], listed: ["plain", "fee"],
      expected: ["fee", "plain"]),
    Case(
      note: "60/60 against 1/1 at a 30 s reference", seconds: 30,
      quotes: ["sixty": quote("0.009", 60, 60), "second": quote("0.010")], listed: ["sixty", "second"],
      expected: ["second", "sixty"]),
    Case(
      note: "60/60 against 1/1 at the 60 s default: the rate decides", seconds: 60,
      quotes: ["sixty": quote("0.009", 60, 60), "second": quote("0.010")], listed: ["second", "sixty"],
      expected: ["sixty", "second"]),
    Case(
      note: "60/60 against 1/1 at 61 s", seconds: 61,
      quotes: ["sixty": quote("0.009", 60, 60), "second": quote("0.010")], listed: ["sixty", "second"],
      expected: ["second", "sixty"]),
    Case(
      note: "equal costs as listed, no rate last", seconds: 60,
      quotes: ["b": quote("0.010"), "a": quote("0.010", 60, 60)], listed: ["none", "b", "a"],
      expected: ["b", "a", "none"]),
    Case(
      note: "across currencies, fees counted, compared exactly", seconds: 60,
      quotes: [
        "usd": quote("0.0100"), "eur": quote("0.0082", fee: "0.0010", currency: "EUR"),
        "eur-cheaper": quote("0.0082", currency: "EUR"),
      ],
      // 0.0092 EUR is 0.0100 USD exactly: a tie, as listed.
      listed: ["eur", "usd", "eur-cheaper"], expected: ["eur-cheaper", "eur", "usd"]),
  ]

  @Test(arguments: cases)
  func rankedByTheReferenceCall(_ c: Case) {
    var random = SplitMix64(seed: 0)
    let order = RouteSelection.egressServiceIDs(
      for: RoutingPlanEntry(prefix: "44", routes: c.listed.map { EgressRoute(carrierServiceID: $0) }),
      order: .lcr, isUsable: { _ in true },
      cost: { id in c.quotes[id].map { RouteSelection.Cost(of: $0, seconds: c.seconds) } },
      currencies: Self.currencies, random: &random)
    #expect(order == c.expected)
  }

  @Test func theCostIsTheChargeOfTheReferenceCall() {
    let fee = Self.quote("0.009", fee: "0.002", 60, 60)
    #expect(
      RouteSelection.Cost(of: fee, seconds: 60)
        == RouteSelection.Cost(amount: Money("0.011")!, currency: "USD"))
    #expect(RouteSelection.Cost(of: fee, seconds: 61).amount == Money("0.020"))
    #expect(RouteSelection.Cost(of: Self.quote("0.010", 30, 6), seconds: 10).amount == Money("0.005"))
  }

  @Test func plansRankByAMinuteUnlessTheySayOtherwise() {
    #expect(RoutingPlan(id: "p", code: "P", name: "p", entries: []).lcrReferenceSeconds == 60)
    #expect(
      RoutingPlan(id: "p", code: "P", name: "p", lcrReferenceSeconds: 20, entries: []).lcrReferenceSeconds
        == 20)
  }
}
