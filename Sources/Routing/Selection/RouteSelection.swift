/// Turns a routing-plan entry into the egress carrier services to try, in
/// order (call pipeline step 7). Pure: the caller says which services are
/// usable right now (status, `testing` owner, capacity, assignments,
/// margin) and what each costs, and passes the random source, so this
/// needs no snapshot, clock or counters.
public enum RouteSelection {
  /// A service's cost for the destination, for least-cost ordering: what
  /// the reference call (`RoutingPlan.lcrReferenceSeconds`) costs through it,
  /// connection fee and billing increments included (`RateQuote.charge`).
  public struct Cost: Sendable, Equatable {
    public var amount: Money
    public var currency: String

    public init(amount: Money, currency: String) {
      self.amount = amount
      self.currency = currency
    }

    /// The cost of a call of `seconds` under `quote`.
    public init(of quote: RateQuote, seconds: Int) {
      self.init(amount: quote.charge(durationMs: Int64(seconds) * 1000).amount, currency: quote.currency)
    }
  }

  /// The ids of `entry`'s usable egress services, in the order to try:
  /// - unusable services (`isUsable` false) are left out;
  /// - a service listed twice is tried once, at its first place;
  /// - priority groups, lower `priority` first;
  /// - inside a group, by `order` (see `RouteOrder`); `cost` and
  ///   `currencies` are read only for `.lcr`, `random` only for `.weight`.
  public static func egressServiceIDs(
    for entry: RoutingPlanEntry, order: RouteOrder, isUsable: (String) -> Bool,
    cost: (String) -> Cost? = { _ in nil }, currencies: Currencies = Currencies(),
    random: inout some RandomNumberGenerator
  ) -> [String] {
    var seen = Set<String>()
    // `entry.routes` is already in priority order, equal priorities as listed.
    let ranked = entry.routes.filter {
      seen.insert($0.carrierServiceID).inserted && isUsable($0.carrierServiceID)
    }

    var ordered: [String] = []
    ordered.reserveCapacity(ranked.count)
    var tierStart = ranked.startIndex
    while tierStart < ranked.endIndex {
      let priority = ranked[tierStart].priority
      let tierEnd = ranked[tierStart...].firstIndex { $0.priority != priority } ?? ranked.endIndex
      let tier = ranked[tierStart..<tierEnd]
      switch order {
      case .priority: ordered.append(contentsOf: tier.map(\.carrierServiceID))
      case .weight: ordered.append(contentsOf: byWeight(tier, random: &random))
      case .lcr: ordered.append(contentsOf: byCost(tier, cost: cost, currencies: currencies))
      }
      tierStart = tierEnd
    }
    return ordered
  }

  /// RFC 2782 weighted ordering: repeatedly pick one of the remaining
  /// weighted services with probability weight / (sum of their weights);
  /// weight-0 services follow, as listed.
  static func byWeight(_ tier: ArraySlice<EgressRoute>, random: inout some RandomNumberGenerator) -> [String]
  {
    if tier.count == 1 { return [tier[tier.startIndex].carrierServiceID] }
    var weighted = tier.filter { $0.weight > 0 }
    var result: [String] = []
    result.reserveCapacity(tier.count)
    var total = weighted.reduce(0) { $0 + UInt64($1.weight) }
    while !weighted.isEmpty {
      let pick = UInt64.random(in: 0..<total, using: &random)
      var running: UInt64 = 0
      let chosen =
        weighted.firstIndex {
          running += UInt64($0.weight)
          return pick < running
        } ?? weighted.count - 1
      result.append(weighted[chosen].carrierServiceID)
      total -= UInt64(weighted[chosen].weight)
      weighted.remove(at: chosen)
    }
    result.append(contentsOf: tier.filter { $0.weight <= 0 }.map(\.carrierServiceID))
    return result
  }

  /// Cheapest first (exact comparison across currencies); without a cost,
  /// or in a currency without an exchange rate, after those with one; ties
  /// as listed.
  static func byCost(_ tier: ArraySlice<EgressRoute>, cost: (String) -> Cost?, currencies: Currencies)
    -> [String]
  {
    let costs = tier.map { route -> Cost? in
      guard let cost = cost(route.carrierServiceID),
        currencies.contains(cost.currency) || currencies.rates.isEmpty
      else { return nil }
      return cost
    }
    let order = costs.indices.sorted { lhs, rhs in
      switch (costs[lhs], costs[rhs]) {
      case (nil, nil): return lhs < rhs
      case (nil, _): return false
      case (_, nil): return true
      case (let left?, let right?):
        let comparison =
          currencies.compare(left.amount, left.currency, right.amount, right.currency)
          ?? (left.amount == right.amount ? 0 : (left.amount < right.amount ? -1 : 1))
        return comparison != 0 ? comparison < 0 : lhs < rhs
      }
    }
    return order.map { tier[tier.startIndex + $0].carrierServiceID }
  }
}
