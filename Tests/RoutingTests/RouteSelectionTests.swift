import Testing

@testable import Routing

@Suite struct RouteSelectionTests {
  private let entry = RoutingPlanEntry(
    prefix: "49",
    routes: [
      EgressRoute(carrierServiceID: "s-c", priority: 3),
      EgressRoute(carrierServiceID: "s-b1", priority: 2),
      EgressRoute(carrierServiceID: "s-a", priority: 1),
      EgressRoute(carrierServiceID: "s-b2", priority: 2),
      EgressRoute(carrierServiceID: "s-b3", priority: 2),
    ])

  private func order(_ entry: RoutingPlanEntry, isUsable: (String) -> Bool) -> [String] {
    var random = SplitMix64(seed: 1)
    return RouteSelection.egressServiceIDs(for: entry, order: .priority, isUsable: isUsable, random: &random)
  }

  @Test func priorityOrderThenAsListed() {
    #expect(
      order(entry) { _ in true } == ["s-a", "s-b1", "s-b2", "s-b3", "s-c"])
  }

  @Test func unusableServicesAreLeftOut() {
    let usable: Set = ["s-b2", "s-c"]
    #expect(order(entry) { usable.contains($0) } == ["s-b2", "s-c"])
    #expect(order(entry) { _ in false } == [])
  }

  @Test func aServiceListedTwiceIsTriedOnceAtItsFirstPlace() {
    let twice = RoutingPlanEntry(
      prefix: "1",
      routes: [
        EgressRoute(carrierServiceID: "s-x", priority: 2), EgressRoute(carrierServiceID: "s-y", priority: 1),
        EgressRoute(carrierServiceID: "s-x", priority: 1),
      ])
    #expect(order(twice) { _ in true } == ["s-y", "s-x"])
  }

  @Test func emptyEntry() {
    #expect(
      order(RoutingPlanEntry(prefix: "", routes: [])) { _ in true } == [])
  }
}
