import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// The pipeline's rating and route-order steps against an in-memory
/// snapshot: a customer (USD, 0.020/min to 44) and three suppliers on
/// prefix 44 with costs 0.010 USD (s2), 0.008 EUR (s3, 0.0087 USD at 0.92)
/// and 0.015 USD (s4), each its own carrier.
@Suite struct CallPipelineRatingTests {
  static let source = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)
  static let currencies = Currencies(rates: ["USD": 10_000_000_000, "EUR": 9_200_000_000])!

  struct World {
    var margin = MarginRule.off
    var order = RouteOrder.lcr
    var customerRates: [(String, String)] = [("44", "0.020")]
    var assignments = CarrierAssignments()
    var priorities = [1, 1, 1]
    var supplierS4HasPlan = true
    /// Rating plans that replace the ones built here, by id.
    var ratingPlans: [String: RatingPlan] = [:]
    var lcrReferenceSeconds = RoutingPlan.defaultLCRReferenceSeconds

    static func plan(_ id: String, _ currency: String, _ rates: [(String, String)], margin: MarginRule = .off)
      throws -> RatingPlan
    {
      var builder = try RatingPlan.Builder(id: id, name: id, currency: currency, margin: margin)
      for (prefix, rate) in rates.sorted(by: { $0.0 < $1.0 }) {
        try builder.add(
          prefix: prefix,
          rate: Rate(ratePerMinute: Money(rate)!, increments: BillingIncrements(initial: 60, recurring: 60)!))
      }
      return try builder.build()
    }

    func snapshot() throws -> Snapshot {
      let customer = Carrier(
        id: "c1", code: "CUST", name: "Customer", partnerType: .customer, status: .active,
        categoryID: "cat-1",
        groupID: "grp-1")
      let suppliers = (2...4).map {
        Carrier(
          id: "c\($0)", code: "SUP\($0)", name: "Supplier \($0)", partnerType: .supplier, status: .active)
      }
      let ingress = Interconnect(
        id: "i1", carrierID: "c1", name: "in", direction: .ingress,
        addresses: [
          try InterconnectAddress.parse(ipAddress: "10.0.0.0/24", isRange: false, rangeEnd: nil, port: nil)
        ])
      let trunks = (2...4).map {
        Interconnect(
          id: "i\($0)", carrierID: "c\($0)", name: "t\($0)", direction: .egress, host: "192.0.2.\($0)",
          sipPort: 5080)
      }
      let services = [
        CarrierService(
          id: "s1", carrierID: "c1", interconnectID: "i1", name: "in", direction: .ingress,
          ratingPlanID: "r1",
          routingPlanID: "p1"),
        CarrierService(
          id: "s2", carrierID: "c2", interconnectID: "i2", name: "a", direction: .egress, ratingPlanID: "r2"),
        CarrierService(
          id: "s3", carrierID: "c3", interconnectID: "i3", name: "b", direction: .egress, ratingPlanID: "r3"),
        CarrierService(
          id: "s4", carrierID: "c4", interconnectID: "i4", name: "c", direction: .egress,
          ratingPlanID: supplierS4HasPlan ? "r4" : nil),
      ]
      let routes = zip(["s4", "s2", "s3"], priorities).map { EgressRoute(carrierServiceID: $0, priority: $1) }
      let routing = RoutingPlan(
        id: "p1", code: "P", name: "plan", order: order, lcrReferenceSeconds: lcrReferenceSeconds,
        entries: [RoutingPlanEntry(prefix: "44", routes: routes)])
      return Snapshot(
        carriers: [customer] + suppliers, interconnects: [ingress] + trunks, services: services,
        routingPlans: [routing],
        ratingPlans: [
          try Self.plan("r1", "USD", customerRates, margin: margin),
          try Self.plan("r2", "USD", [("44", "0.010")]),
          try Self.plan("r3", "EUR", [("4", "0.008")]),
          try Self.plan("r4", "USD", [("44", "0.015")]),
        ].map { ratingPlans[$0.id] ?? $0 }, currencies: CallPipelineRatingTests.currencies,
        assignments: assignments)
    }
  }

  func route(_ world: World, user: String = "4420", seed: UInt64 = 1) throws -> RouteDecision {
    try CallPipeline(snapshot: world.snapshot()).route(
      invite: CallPipelineTests.invite(user: user), source: Self.source,
      context: RouteContext(
        nowMs: 0, unixMs: 1_790_000_000_000, liveCalls: LiveCalls(), cps: CPSLimiter(), randomSeed: seed))
  }

  func services(_ decision: RouteDecision) -> [String?] {
    guard case .route(let call) = decision else { return ["refused: \(decision)"] }
    return call.targets.map(\.egress?.serviceID)
  }

  @Test func leastCostOrdersCheapestFirstAcrossCurrencies() throws {
    #expect(try services(route(World())) == ["s3", "s2", "s4"])
  }

  @Test func priorityOrderKeepsTheListedOrder() throws {
    #expect(try services(route(World(order: .priority))) == ["s4", "s2", "s3"])
  }

  @Test func priorityGroupsComeFirstWithLeastCostInside() throws {
    // s4 alone in group 1; s2 and s3 in group 2, cheapest first.
    #expect(try services(route(World(priorities: [1, 2, 2]))) == ["s4", "s3", "s2"])
  }

  @Test func aSupplierWithoutARatingPlanGoesLastUnderLeastCost() throws {
    #expect(try services(route(World(supplierS4HasPlan: false))) == ["s3", "s2", "s4"])
    #expect(try services(route(World(priorities: [1, 1, 1], supplierS4HasPlan: false))).last == "s4")
  }

  @Test func weightOrderDependsOnlyOnTheSeed() throws {
    let world = World(order: .weight)
    let first = try services(route(world, seed: 42))
    #expect(try services(route(world, seed: 42)) == first)
    #expect(Set(first.compactMap { $0 }) == ["s2", "s3", "s4"])
  }

  @Test(arguments: [
    // (margin, services kept)
    (MarginRule.off, ["s3", "s2", "s4"]),
    (.absolute(Money("0.005")!), ["s3", "s2", "s4"]),  // cost ≤ 0.015: s4 (0.015) is on the boundary
    (.absolute(Money("0.005001")!), ["s3", "s2"]),
    (.absolute(Money("0.010")!), ["s3", "s2"]),  // cost ≤ 0.010: s2 exactly
    (.absolute(Money("0.010001")!), ["s3"]),
    (.percent(Money("50")!), ["s3", "s2"]),  // cost ≤ 0.010
    (.percent(Money("56.5")!), ["s3"]),  // cost ≤ 0.0087: s3 is 0.008696 USD
  ])
  func marginEnforcementSkipsSuppliersThatLoseMoney(margin: MarginRule, kept: [String]) throws {
    #expect(try services(route(World(margin: margin))) == kept.map { Optional($0) })
  }

  @Test(arguments: [MarginRule.absolute(Money("0.019")!), .percent(Money("56.6")!)])
  func everySupplierBelowTheMarginRefusesTheCall(margin: MarginRule) throws {
    #expect(try route(World(margin: margin)) == .reject(status: 503, reason: "No Route Within Margin"))
  }

  @Test func aSupplierWithoutACostIsSkippedWhenTheMarginIsEnforced() throws {
    #expect(
      try services(route(World(margin: .absolute(Money("0.001")!), supplierS4HasPlan: false))) == [
        "s3", "s2",
      ])
  }

  @Test func noCustomerRateIs403() throws {
    #expect(
      try route(World(customerRates: [("33", "0.010")])) == .reject(status: 403, reason: "No Customer Rate"))
  }

  @Test func quotesTravelWithTheCallAndEachTarget() throws {
    guard case .route(let call) = try route(World()) else {
      Issue.record("not routed")
      return
    }
    #expect(call.customerQuote?.ratePerMinute == Money("0.020"))
    #expect(call.customerQuote?.prefix == "44")
    #expect(call.customerQuote?.exchangeRate == 10_000_000_000)
    let first = try #require(call.targets.first?.supplierQuote)
    #expect(first.ratingPlanID == "r3")
    #expect(first.prefix == "4")
    #expect(first.currency == "EUR")
    #expect(first.exchangeRate == 9_200_000_000)
  }

  @Test(arguments: [
    // (rows per supplier carrier, services routed)
    ([String: [CarrierAssignments.Assignment]](), ["s3", "s2", "s4"]),
    (["c3": [.customers(["c9"])]], ["s2", "s4"]),
    (["c3": [.categories(["cat-1"])], "c2": [.groups(["grp-2"])]], ["s3", "s4"]),
    (["c3": [.groups(["grp-2"]), .all]], ["s3", "s2", "s4"]),
  ])
  func carrierAssignmentsLimitTheSuppliers(
    rows: [String: [CarrierAssignments.Assignment]], expected: [String]
  )
    throws
  {
    #expect(
      try services(route(World(assignments: CarrierAssignments(rows)))) == expected.map { Optional($0) })
  }

  @Test func noAssignedSupplierIs403() throws {
    let rows: [String: [CarrierAssignments.Assignment]] = [
      "c2": [.customers(["c9"])], "c3": [.customers(["c9"])], "c4": [.categories(["cat-9"])],
    ]
    #expect(
      try route(World(assignments: CarrierAssignments(rows)))
        == .reject(status: 403, reason: "No Assigned Route"))
  }
}

/// The call record's charges, from the quotes fixed at routing.
@Suite struct CallRecordChargesTests {
  static func summary(answeredAfterMs: Int64?, durationMs: Int64, customer: RateQuote?, supplier: RateQuote?)
    -> CallSummary
  {
    let start: Int64 = 1_790_000_000_000
    let answered = answeredAfterMs.map { start + $0 }
    return CallSummary(
      recordID: "r", callID: "c", fromTag: "a", toTag: nil, fromUser: "1", toUser: "4420",
      originalFromUser: "1",
      originalToUser: "4420", ingress: nil, egress: nil,
      source: Endpoint(transport: .udp, host: "10.0.0.5", port: 1),
      destination: nil, startedUnixMs: start, answeredUnixMs: answered,
      endedUnixMs: (answered ?? start) + durationMs, finalStatus: answered == nil ? 486 : 200,
      outcome: answered == nil ? .failed : .answered, attempts: 1, endedBy: nil,
      rating: CallRating(customer: customer, supplier: supplier))
  }

  static func quote(
    _ plan: String, _ rate: String, _ currency: String, _ increments: (Int, Int), fee: String = "0"
  )
    -> RateQuote
  {
    RateQuote(
      ratingPlanID: plan, prefix: "44", currency: currency, ratePerMinute: Money(rate)!,
      connectionFee: Money(fee)!,
      increments: BillingIncrements(initial: increments.0, recurring: increments.1)!,
      exchangeRate: currency == "USD" ? 10_000_000_000 : 9_200_000_000)
  }

  @Test(arguments: [
    // (customer increments, duration ms, billable s, price)
    ((60, 60), Int64(65_000), Int64(120), "0.040000"),
    ((6, 6), 65_000, 66, "0.022000"),
    ((1, 1), 65_000, 65, "0.021667"),
    ((60, 60), 60_000, 60, "0.020000"),
    ((60, 60), 60_001, 120, "0.040000"),
  ])
  func answeredCallsAreBilledByTheirIncrements(
    increments: (Int, Int), durationMs: Int64, billable: Int64, price: String
  ) {
    let record = Self.summary(
      answeredAfterMs: 3000, durationMs: durationMs, customer: Self.quote("r1", "0.020", "USD", increments),
      supplier: Self.quote("r2", "0.010", "USD", (1, 1))
    ).callRecord
    #expect(record.customerCharge?.billableSeconds == billable)
    #expect(record.customerCharge?.amount == Money(price))
    #expect(record.customerCharge?.ratingPlanID == "r1")
    #expect(record.customerCharge?.prefix == "44")
    #expect(record.supplierCharge?.billableSeconds == (durationMs + 999) / 1000)
    #expect(record.margin == Money(price)! - record.supplierCharge!.amount)
  }

  @Test func theMarginConvertsTheSupplierCostToTheCustomersCurrency() {
    // 120 s: price 0.040 USD; cost 0.020 EUR = 0.021739 USD (0.02 / 0.92, half up).
    let record = Self.summary(
      answeredAfterMs: 0, durationMs: 120_000, customer: Self.quote("r1", "0.020", "USD", (60, 60)),
      supplier: Self.quote("r3", "0.010", "EUR", (60, 60))
    ).callRecord
    #expect(record.supplierCharge?.amount == Money("0.020"))
    #expect(record.supplierCharge?.currency == "EUR")
    #expect(record.margin == Money("0.018261"))
  }

  @Test func anUnansweredCallCostsNothingOnEitherSide() {
    let record = Self.summary(
      answeredAfterMs: nil, durationMs: 20_000,
      customer: Self.quote("r1", "0.020", "USD", (60, 60), fee: "0.05"),
      supplier: Self.quote("r2", "0.010", "USD", (1, 1))
    ).callRecord
    #expect(record.customerCharge?.amount == .zero)
    #expect(record.customerCharge?.billableSeconds == 0)
    #expect(record.supplierCharge?.amount == .zero)
    #expect(record.margin == .zero)
  }

  @Test func aCallWithoutACustomerPlanIsNotRated() {
    let record = Self.summary(answeredAfterMs: 0, durationMs: 5000, customer: nil, supplier: nil).callRecord
    #expect(record.customerCharge == nil)
    #expect(record.supplierCharge == nil)
    #expect(record.margin == nil)
  }
}
