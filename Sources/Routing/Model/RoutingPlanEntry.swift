/// One destination prefix of a routing plan (`routing_plan_entries`) with
/// its egress routes.
public struct RoutingPlanEntry: Sendable, Equatable {
  /// Digits; "" is the plan's default route.
  public var prefix: String
  /// In priority order (then as listed).
  public var routes: [EgressRoute]
  /// Statuses besides 408/5xx that fail over to the next route; nil = the plan's.
  public var failoverCodes: Set<Int>?

  public init(prefix: String, routes: [EgressRoute], failoverCodes: Set<Int>? = nil) {
    self.prefix = prefix
    self.routes = routes.sorted { $0.priority < $1.priority }
    self.failoverCodes = failoverCodes
  }
}
