/// Turns a routing-plan entry into the egress carrier services to try, in
/// order (call pipeline step 7). Pure: the caller says which services are
/// usable right now (status, `testing` owner, capacity), so this needs no
/// snapshot, clock or counters.
public enum RouteSelection {
  /// The ids of `entry`'s usable egress carrier services, in the order to try:
  /// - unusable services (`isUsable` false) are left out;
  /// - lower priority number first;
  /// - within one priority, see `orderTier` (for now: as listed);
  /// - a service listed twice is tried once, at its first place.
  public static func egressServiceIDs(for entry: RoutingPlanEntry, isUsable: (String) -> Bool) -> [String] {
    var seen = Set<String>()
    let ranked = entry.routes.enumerated()
      .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
      .map(\.element)
      .filter { seen.insert($0.carrierServiceID).inserted && isUsable($0.carrierServiceID) }

    var ordered: [String] = []
    ordered.reserveCapacity(ranked.count)
    var tierStart = ranked.startIndex
    while tierStart < ranked.endIndex {
      let priority = ranked[tierStart].priority
      let tierEnd = ranked[tierStart...].firstIndex { $0.priority != priority } ?? ranked.endIndex
      ordered.append(contentsOf: orderTier(ranked[tierStart..<tierEnd]).map(\.carrierServiceID))
      tierStart = tierEnd
    }
    return ordered
  }

  /// The order within one priority tier. The seam for weights and least-cost
  /// routing (a later change passes a random source and supplier costs in):
  /// for now the routes stay as listed in the entry.
  static func orderTier(_ tier: ArraySlice<EgressRoute>) -> [EgressRoute] {
    Array(tier)
  }
}
