import Testing

@testable import Routing

private func route(_ id: String, priority: Int = 1, weight: Int = 1) -> EgressRoute {
  EgressRoute(carrierServiceID: id, priority: priority, weight: weight)
}

private func cost(_ text: String, _ currency: String = "USD") -> RouteSelection.Cost {
  RouteSelection.Cost(amount: Money(text)!, currency: currency)
}

private func ordered(
  _ routes: [EgressRoute], _ order: RouteOrder, usable: Set<String>? = nil,
  costs: [String: RouteSelection.Cost] = [:], currencies: Currencies = testCurrencies,
  random: inout Routing.SplitMix64
) -> [String] {
  RouteSelection.egressServiceIDs(
    for: RoutingPlanEntry(prefix: "49", routes: routes), order: order,
    isUsable: { usable?.contains($0) ?? true }, cost: { costs[$0] }, currencies: currencies, random: &random)
}

private func ordered(
  _ routes: [EgressRoute], _ order: RouteOrder, usable: Set<String>? = nil,
  costs: [String: RouteSelection.Cost] = [:], currencies: Currencies = testCurrencies
) -> [String] {
  var random = Routing.SplitMix64(seed: 0)
  return ordered(routes, order, usable: usable, costs: costs, currencies: currencies, random: &random)
}

@Suite struct RouteOrderTests {
  @Test(arguments: [(RouteOrder.priority, "priority"), (.weight, "weight"), (.lcr, "lcr")])
  func configValues(order: RouteOrder, text: String) {
    #expect(order.rawValue == text)
    #expect(RouteOrder(rawValue: text) == order)
    #expect(RouteOrder.allCases.contains(order))
  }

  @Test func onlyThreeOrders() {
    #expect(RouteOrder.allCases.count == 3)
    #expect(RouteOrder(rawValue: "LCR") == nil)
    #expect(RouteOrder(rawValue: "cost") == nil)
  }

  // MARK: Priority

  /// Priority groups lowest first, then as listed, whatever the weights.
  @Test(arguments: [
    ([route("a")], ["a"]),
    (
      [route("c", priority: 3), route("b1", priority: 2), route("a", priority: 1), route("b2", priority: 2)],
      ["a", "b1", "b2", "c"]
    ),
    ([route("x", priority: 10, weight: 0), route("y", priority: 10, weight: 100)], ["x", "y"]),
    ([route("x", priority: 0), route("y", priority: -1)], ["y", "x"]),
    ([EgressRoute](), [String]()),
  ])
  func priorityGroups(routes: [EgressRoute], expected: [String]) {
    #expect(ordered(routes, .priority) == expected)
  }

  // MARK: Weight

  struct ShareCase: Sendable, CustomTestStringConvertible {
    var note: String
    var routes: [EgressRoute]
    /// Expected share of first places per service, and of second places.
    var first: [String: Double]
    var second: [String: Double] = [:]
    /// One generator for all decisions (seeded with `seed`), or a fresh one seeded `seed + i` for decision i.
    var freshPerDecision: Bool
    var seed: UInt64

    var testDescription: String { "\(note), seed \(seed)\(freshPerDecision ? " + i" : "")" }
  }

  static let shareCases: [ShareCase] = [UInt64(1), 42, 2026].flatMap { seed -> [ShareCase] in
    [false, true].flatMap { fresh -> [ShareCase] in
      [
        ShareCase(
          note: "weights 1 and 2", routes: [route("a", weight: 1), route("b", weight: 2)],
          first: ["a": 1.0 / 3, "b": 2.0 / 3], second: ["a": 2.0 / 3, "b": 1.0 / 3], freshPerDecision: fresh,
          seed: seed),
        ShareCase(
          note: "weights 1, 1 and 2",
          routes: [route("a", weight: 1), route("b", weight: 1), route("c", weight: 2)],
          first: ["a": 0.25, "b": 0.25, "c": 0.5], second: ["a": 1.0 / 3, "b": 1.0 / 3, "c": 1.0 / 3],
          freshPerDecision: fresh, seed: seed),
        ShareCase(
          note: "weights 2, 0 and 1",
          routes: [route("a", weight: 2), route("z", weight: 0), route("b", weight: 1)],
          first: ["a": 2.0 / 3, "b": 1.0 / 3, "z": 0], second: ["a": 1.0 / 3, "b": 2.0 / 3, "z": 0],
          freshPerDecision: fresh, seed: seed),
      ]
    }
  }

  /// 30,000 decisions, each a fresh ordering: every service's share of
  /// first (and second) places within 2 % of its weight's share.
  @Test(arguments: shareCases)
  func weightedShare(_ c: ShareCase) {
    let decisions = 30_000
    var firsts: [String: Int] = [:]
    var seconds: [String: Int] = [:]
    var incomplete = 0
    let entry = RoutingPlanEntry(prefix: "49", routes: c.routes)
    let all = c.routes.map(\.carrierServiceID).sorted()
    var random = Routing.SplitMix64(seed: c.seed)
    for decision in 0..<decisions {
      if c.freshPerDecision { random = Routing.SplitMix64(seed: c.seed &+ UInt64(decision)) }
      let order = RouteSelection.egressServiceIDs(
        for: entry, order: .weight, isUsable: { _ in true }, random: &random)
      if order.sorted() != all { incomplete += 1 }
      firsts[order[0], default: 0] += 1
      seconds[order[1], default: 0] += 1
    }
    #expect(incomplete == 0)
    let band = decisions * 2 / 100
    for (id, share) in c.first {
      let expected = Int((Double(decisions) * share).rounded())
      let count = firsts[id, default: 0]
      #expect(
        (expected - band)...(expected + band) ~= count,
        "\(id) first \(count) times, expected \(expected) ± \(band)")
    }
    for (id, share) in c.second {
      let expected = Int((Double(decisions) * share).rounded())
      let count = seconds[id, default: 0]
      #expect(
        (expected - band)...(expected + band) ~= count,
        "\(id) second \(count) times, expected \(expected) ± \(band)")
    }
  }

  /// The shares of weights 1 and 2 with one generator seeded 1, exactly:
  /// a seeded ordering repeats.
  @Test func weightedOrderRepeatsForASeed() {
    func counts() -> Int {
      var random = Routing.SplitMix64(seed: 1)
      var firstA = 0
      for _ in 0..<30_000
      where ordered([route("a", weight: 1), route("b", weight: 2)], .weight, random: &random)[0] == "a" {
        firstA += 1
      }
      return firstA
    }
    let first = counts()
    #expect((9_400...10_600).contains(first))
    #expect(counts() == first)
  }

  /// Weight 0 is never first while a weighted service is usable; it follows
  /// every weighted one, zeros as listed.
  @Test(arguments: [UInt64(3), 77, 1_000])
  func weightZeroComesLast(seed: UInt64) {
    var random = Routing.SplitMix64(seed: seed)
    let routes = [
      route("z1", weight: 0), route("a", weight: 1), route("z2", weight: 0), route("b", weight: 3),
    ]
    for _ in 0..<2_000 {
      let order = ordered(routes, .weight, random: &random)
      #expect(Set(order.prefix(2)) == ["a", "b"])
      #expect(Array(order.suffix(2)) == ["z1", "z2"])
    }
    // Once the weighted ones are unusable, the zeros are tried, as listed.
    #expect(ordered(routes, .weight, usable: ["z2", "z1"], random: &random) == ["z1", "z2"])
    #expect(ordered(routes, .weight, usable: ["z2", "a"], random: &random) == ["a", "z2"])
  }

  @Test(arguments: [UInt64(5), 6])
  func allWeightsZeroKeepTheListedOrder(seed: UInt64) {
    var random = Routing.SplitMix64(seed: seed)
    for _ in 0..<100 {
      #expect(
        ordered(
          [route("b", weight: 0), route("a", weight: 0), route("c", weight: -1)], .weight, random: &random)
          == ["b", "a", "c"])
    }
  }

  /// Weighted order inside priority groups: a later group never jumps ahead.
  @Test func weightInsidePriorityGroups() {
    var random = Routing.SplitMix64(seed: 9)
    let routes = [
      route("c", priority: 2, weight: 1), route("a", priority: 1, weight: 1),
      route("b", priority: 1, weight: 2),
      route("d", priority: 2, weight: 3),
    ]
    var aFirst = 0
    var dThird = 0
    var outOfGroup = 0
    for _ in 0..<30_000 {
      let order = ordered(routes, .weight, random: &random)
      if Set(order.prefix(2)) != ["a", "b"] || Set(order.suffix(2)) != ["c", "d"] { outOfGroup += 1 }
      if order[0] == "a" { aFirst += 1 }
      if order[2] == "d" { dThird += 1 }
    }
    #expect(outOfGroup == 0)
    #expect((9_400...10_600).contains(aFirst))
    #expect((21_900...23_100).contains(dThird))
  }

  // MARK: Least cost

  struct CostCase: Sendable, CustomTestStringConvertible {
    var note: String
    var routes: [EgressRoute]
    var costs: [String: RouteSelection.Cost]
    var expected: [String]
    var currencies: Currencies = testCurrencies

    var testDescription: String { note }
  }

  static let costCases: [CostCase] = [
    CostCase(
      note: "cheapest first, ties as listed, no cost last",
      routes: [route("a"), route("b"), route("c"), route("d"), route("e")],
      costs: ["a": cost("0.010"), "b": cost("0.008"), "c": cost("0.010"), "e": cost("0.009")],
      expected: ["b", "e", "a", "c", "d"]),
    CostCase(
      note: "services without cost keep the listed order",
      routes: [route("n2"), route("a"), route("n1"), route("b")],
      costs: ["b": cost("0.02"), "a": cost("0.03")],
      expected: ["b", "a", "n2", "n1"]),
    CostCase(
      note: "no costs at all: as listed", routes: [route("c"), route("a"), route("b")], costs: [:],
      expected: ["c", "a", "b"]),
    CostCase(
      note: "a rate of zero is the cheapest", routes: [route("a"), route("free")],
      costs: ["a": cost("0.000001"), "free": cost("0")], expected: ["free", "a"]),
    CostCase(
      note: "across currencies: equal values tie as listed, exactly cheaper first",
      routes: [
        route("usd"), route("eur"), route("gbp"), route("eur-less"), route("gbp-more"), route("xxx"),
        route("none"),
      ],
      costs: [
        "usd": cost("0.010"), "eur": cost("0.0092", "EUR"), "gbp": cost("0.0079", "GBP"),
        "eur-less": cost("0.009199", "EUR"), "gbp-more": cost("0.007901", "GBP"),
        "xxx": cost("0.000001", "XXX"),
      ],
      expected: ["eur-less", "usd", "eur", "gbp", "gbp-more", "xxx", "none"]),
    // 0.009199 EUR is 0.0099989 USD: less than 0.009999 USD, though it converts to it.
    CostCase(
      note: "exact comparison, not converted amounts", routes: [route("usd"), route("eur")],
      costs: ["usd": cost("0.009999"), "eur": cost("0.009199", "EUR")], expected: ["eur", "usd"]),
    CostCase(
      note: "one currency without an exchange table", routes: [route("a"), route("b"), route("c")],
      costs: ["a": cost("0.3", "EUR"), "b": cost("0.1", "EUR"), "c": cost("0.2", "EUR")],
      expected: ["b", "c", "a"],
      currencies: Currencies()),
    CostCase(
      note: "LCR inside priority groups",
      routes: [
        route("p2-cheap", priority: 2), route("p1-dear", priority: 1), route("p1-cheap", priority: 1),
        route("p2-dear", priority: 2), route("p1-none", priority: 1),
      ],
      costs: [
        "p2-cheap": cost("0.001"), "p1-dear": cost("0.02"), "p1-cheap": cost("0.01"),
        "p2-dear": cost("0.005"),
      ],
      expected: ["p1-cheap", "p1-dear", "p1-none", "p2-cheap", "p2-dear"]),
  ]

  @Test(arguments: costCases)
  func leastCost(_ c: CostCase) {
    #expect(ordered(c.routes, .lcr, costs: c.costs, currencies: c.currencies) == c.expected)
  }

  // MARK: Every order

  /// A service listed twice is tried once, at its first place (after
  /// sorting by priority); unusable ones are left out.
  @Test(arguments: RouteOrder.allCases)
  func duplicatesAndUnusable(order: RouteOrder) {
    let routes = [
      route("x", priority: 2, weight: 5), route("y", priority: 1), route("x", priority: 1, weight: 0),
      route("y", priority: 3), route("gone", priority: 1), route("z", priority: 3),
    ]
    let costs = ["x": cost("0.01"), "y": cost("0.02"), "z": cost("0.03"), "gone": cost("0")]
    var random = Routing.SplitMix64(seed: 4)
    for _ in 0..<200 {
      let result = ordered(
        routes, order, usable: ["x", "y", "z"], costs: costs, currencies: testCurrencies, random: &random)
      #expect(result.count == 3)
      #expect(Set(result) == ["x", "y", "z"])
      #expect(result.last == "z")
      if order == .priority { #expect(result == ["y", "x", "z"]) }
      if order == .lcr { #expect(result == ["x", "y", "z"]) }
      // Priority 1 holds y (weight 1) and x (weight 0): y first.
      if order == .weight { #expect(result == ["y", "x", "z"]) }
    }
    #expect(ordered(routes, order, usable: []) == [])
  }

  /// `cost` is read only for LCR, the random source only for weight.
  @Test(arguments: RouteOrder.allCases)
  func readsOnlyWhatTheOrderNeeds(order: RouteOrder) {
    let entry = RoutingPlanEntry(prefix: "1", routes: [route("a", weight: 1), route("b", weight: 1)])
    var costReads = 0
    var random = Routing.SplitMix64(seed: 11)
    _ = RouteSelection.egressServiceIDs(
      for: entry, order: order, isUsable: { _ in true },
      cost: { _ in
        costReads += 1
        return nil
      }, random: &random)
    var untouched = Routing.SplitMix64(seed: 11)
    #expect((costReads > 0) == (order == .lcr))
    #expect((random.next() != untouched.next()) == (order == .weight))
  }
}
