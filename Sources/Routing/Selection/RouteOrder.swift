/// How the egress services of one priority group are ordered
/// (`routing_plans.route_order`, overridden per entry by
/// `routing_plan_entries.route_order`). Priority groups always come first
/// to last (lower `priority` first); this orders the services inside one.
public enum RouteOrder: String, Sendable, CaseIterable {
  /// As listed: the entry's order (the loader lists by carrier service id).
  case priority
  /// Load share by `weight`, exact over many calls: weights 1 and 2 give
  /// one third and two thirds of the calls first. The rest follow in the
  /// same weighted way (RFC 2782); weight 0 only after every weighted one.
  case weight
  /// Least cost: what a reference call (`RoutingPlan.lcrReferenceSeconds`,
  /// 60 s by default) to this destination costs through the supplier (its
  /// rating plan: connection fee and billing increments included, compared
  /// exactly across currencies), cheapest first; services without a rate
  /// after those with one; equal costs as listed.
  case lcr
}
