/// A routing plan (`routing_plans` with its `routing_plan_entries`): which
/// egress carrier services a destination may go to, by longest prefix.
/// Immutable once built; part of the reference-data snapshot.
public struct RoutingPlan: Sendable {
  public let id: String
  public let code: String
  public let name: String
  /// Statuses besides 408/5xx that fail over to the next route, for entries
  /// that do not set their own.
  public let failoverCodes: Set<Int>
  /// How priority groups are ordered, for entries that do not say.
  public let order: RouteOrder
  /// The billable duration of the reference call least-cost order ranks
  /// suppliers by (`lcr_reference_seconds`): each supplier's charge for a
  /// call of this length, connection fee and billing increments included.
  public let lcrReferenceSeconds: Int
  /// The entries by prefix; `""` is the default route.
  public let entries: PrefixTable<RoutingPlanEntry>

  /// Two entries with the same prefix: the later one wins (see `PrefixTable`).
  public init(
    id: String, code: String, name: String, failoverCodes: Set<Int> = [], order: RouteOrder = .priority,
    lcrReferenceSeconds: Int = RoutingPlan.defaultLCRReferenceSeconds, entries: [RoutingPlanEntry]
  ) {
    self.id = id
    self.code = code
    self.name = name
    self.failoverCodes = failoverCodes
    self.order = order
    self.lcrReferenceSeconds = lcrReferenceSeconds
    self.entries = PrefixTable(entries.map { (prefix: $0.prefix, value: $0) })
  }

  /// A one-minute call, unless the plan says otherwise.
  public static let defaultLCRReferenceSeconds = 60
  /// The longest reference call a plan may name: a day (the loader refuses more).
  public static let maximumLCRReferenceSeconds = 86_400

  /// The entry with the longest prefix of `destination` (one leading `+` is
  /// ignored: `+4930…` is looked up as `4930…`), or nil when no entry
  /// matches and the plan has no default (`""`) entry.
  public func lookup(destination: String) -> RoutingPlanEntry? {
    let digits = destination.utf8.first == UInt8(ascii: "+") ? destination.dropFirst() : destination[...]
    return entries.longestMatch(digits)?.value
  }

  /// The failover statuses that apply to `entry`: its own, else the plan's.
  public func failoverCodes(for entry: RoutingPlanEntry) -> Set<Int> {
    entry.failoverCodes ?? failoverCodes
  }

  /// The route order that applies to `entry`: its own, else the plan's.
  public func order(for entry: RoutingPlanEntry) -> RouteOrder {
    entry.order ?? order
  }
}
