/// One egress carrier service named by a routing-plan entry
/// (`routing_plan_entry_services`).
public struct EgressRoute: Sendable, Equatable {
  public var carrierServiceID: String
  /// Lower is tried first.
  public var priority: Int
  public var weight: Int

  public init(carrierServiceID: String, priority: Int = 1, weight: Int = 1) {
    self.carrierServiceID = carrierServiceID
    self.priority = priority
    self.weight = weight
  }
}
