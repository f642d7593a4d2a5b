import Testing

@testable import Routing

@Suite struct RoutingPlanTests {
  private let plan = RoutingPlan(
    id: "rp-1", code: "RP1", name: "Wholesale", failoverCodes: [486, 404],
    entries: [
      RoutingPlanEntry(prefix: "", routes: [EgressRoute(carrierServiceID: "s-default")]),
      RoutingPlanEntry(prefix: "49", routes: [EgressRoute(carrierServiceID: "s-de")]),
      RoutingPlanEntry(
        prefix: "4915", routes: [EgressRoute(carrierServiceID: "s-de-mobile")],
        failoverCodes: [503, 486, 480]),
    ])

  @Test func longestPrefix() {
    #expect(plan.lookup(destination: "4915112345")?.prefix == "4915")
    #expect(plan.lookup(destination: "4930123")?.prefix == "49")
  }

  @Test func leadingPlusIsIgnored() {
    #expect(plan.lookup(destination: "+4915112345")?.prefix == "4915")
  }

  @Test func defaultEntry() {
    #expect(plan.lookup(destination: "33123")?.prefix == "")
    #expect(plan.lookup(destination: "33123")?.routes.map(\.carrierServiceID) == ["s-default"])
  }

  @Test func noEntryIsNil() {
    let noDefault = RoutingPlan(
      id: "rp-2", code: "RP2", name: "Germany only",
      entries: [RoutingPlanEntry(prefix: "49", routes: [EgressRoute(carrierServiceID: "s-de")])])
    #expect(noDefault.lookup(destination: "33123") == nil)
    #expect(noDefault.lookup(destination: "") == nil)
    #expect(noDefault.entries.count == 1)
  }

  @Test func failoverCodesOverride() throws {
    let mobile = try #require(plan.lookup(destination: "4915112345"))
    let fixed = try #require(plan.lookup(destination: "4930123"))
    #expect(plan.failoverCodes(for: mobile) == [503, 486, 480])
    #expect(plan.failoverCodes(for: fixed) == [486, 404])
  }
}
