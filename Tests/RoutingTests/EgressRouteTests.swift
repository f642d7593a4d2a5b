import Testing

@testable import Routing

@Suite struct RoutingPlanEntryTests {
  @Test func routesAreKeptInPriorityOrder() {
    let entry = RoutingPlanEntry(
      prefix: "44",
      routes: [
        EgressRoute(carrierServiceID: "b", priority: 2), EgressRoute(carrierServiceID: "a", priority: 1),
        EgressRoute(carrierServiceID: "c", priority: 2),
      ])
    #expect(entry.routes.map(\.carrierServiceID) == ["a", "b", "c"])
  }
}
