/// One destination prefix of a routing plan (`routing_plan_entries`) with
/// its egress routes.
public struct RoutingPlanEntry: Sendable, Equatable {
  /// Digits; "" is the plan's default route.
  public var prefix: String
  /// In priority order (then as listed).
  public var routes: [EgressRoute]
  /// Statuses besides 408/5xx that fail over to the next route; nil = the plan's.
  public var failoverCodes: Set<Int>?
  /// How each priority group is ordered; nil = the plan's.
  public var order: RouteOrder?

  public init(prefix: String, routes: [EgressRoute], failoverCodes: Set<Int>? = nil, order: RouteOrder? = nil)
  {
    self.prefix = prefix
    // Stable: equal priorities keep their listed order (`sorted` does not promise it).
    self.routes = routes.enumerated()
      .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
      .map(\.element)
    self.failoverCodes = failoverCodes
    self.order = order
  }
}
