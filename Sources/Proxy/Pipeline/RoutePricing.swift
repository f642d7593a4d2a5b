import Policy
import Routing

/// A call's prices as step 7 of `CallPipeline` decides them, for tools that
/// price calls off the call path (`didtron-switch rate`): the customer's
/// price, the egress services in the order the switch would try them with
/// each supplier's cost, and the services step 7 left out, with why. It runs
/// the pipeline's own `RouteChoice`, so a change of the routing or rating
/// rules changes these prices too. Live conditions of step 8 (statuses,
/// capacity, codecs, supplier credit) are not evaluated.
public struct RoutePricing: Sendable {
  /// An egress service step 7 keeps, in the order to try.
  public struct Supplier: Sendable, Equatable {
    public var serviceID: String
    /// Its cost for the number (nil: the service is not rated or has no rate).
    public var quote: RateQuote?
  }

  /// Why step 7 left an egress service of the entry out.
  public enum SkipReason: String, Sendable, Equatable {
    /// The entry names a service the snapshot does not hold.
    case unknownService = "unknown_service"
    /// Its supplier carrier is not assigned to this customer (carrier assignments).
    case notAssigned = "not_assigned"
    /// Its supplier's rating plan closed the code (docs/rating.md, closed codes).
    case closedCode = "closed_code"
    /// Its cost breaks the customer plan's margin rule (or cannot be known).
    case belowMargin = "below_margin"
  }

  public struct Skipped: Sendable, Equatable {
    public var serviceID: String
    public var quote: RateQuote?
    public var reason: SkipReason
  }

  public var routingPlanID: String
  /// The routing-plan entry's prefix that matched ("" = the default route).
  public var entryPrefix: String
  /// The customer's price (nil: the ingress service is not rated).
  public var customerQuote: RateQuote?
  public var suppliers: [Supplier]
  /// In the entry's order.
  public var skipped: [Skipped]
  /// What the caller hears when step 7 leaves no supplier: step 8's
  /// refusal for that case (`EgressTargets`), nil when some are left.
  public var refusal: Refusal?
}

extension Snapshot {
  /// `ratingPlanID`'s price for `number` (as routed) at `unixMs`, with its
  /// currency's exchange rate, as the call pipeline quotes it; nil when the
  /// plan is not loaded or has no rate in force.
  public func ratingQuote(ratingPlanID: String, number: String, atUnixMs unixMs: Int64) -> RateQuote? {
    ratingPlans[ratingPlanID].flatMap { quote($0, number, atUnixMs: unixMs) }
  }

  /// `ratingPlanID`'s price for `number` at `unixMs` as step 7 prices a
  /// customer: throws 403 Closed Code or 403 No Customer Rate as a caller
  /// would get them; nil when the plan is not loaded.
  public func customerQuote(ratingPlanID: String, number: String, atUnixMs unixMs: Int64) throws(Refusal)
    -> RateQuote?
  {
    guard let plan = ratingPlans[ratingPlanID] else { return nil }
    switch lookup(plan, number, atUnixMs: unixMs) {
    case .rated(let quote): return quote
    case .closed: throw .closedCode
    case .unrated: throw .noCustomerRate
    }
  }

  /// Prices a call arriving on the ingress carrier service `serviceID` to
  /// `number` (as routed: after the tech prefix and ingress translation)
  /// at `unixMs`, as step 7 of the call pipeline does. `randomSeed` seeds
  /// weighted route order. Throws the refusal a caller would get (404 No
  /// Route, 403 No Customer Rate ...); nil when the service, its carrier or
  /// its interconnect is not in the snapshot.
  public func routePricing(
    serviceID: String, number: String, atUnixMs unixMs: Int64, randomSeed: UInt64 = 0
  ) throws(Refusal) -> RoutePricing? {
    guard let service = services[serviceID], let carrier = carriers[service.carrierID],
      let interconnect = interconnects[service.interconnectID]
    else { return nil }
    let match = IngressMatch(carrier: carrier, interconnect: interconnect, service: service, number: number)
    let context = RouteContext(
      nowMs: 0, unixMs: unixMs, liveCalls: LiveCalls(), cps: CPSLimiter(), randomSeed: randomSeed)
    let choice = try RouteChoice(self, match, called: number, context)
    let kept = Set(choice.serviceIDs)
    let customer = CarrierAssignments.Customer(
      carrierID: carrier.id, categoryID: carrier.categoryID, groupID: carrier.groupID)
    var seen = Set<String>()
    var skipped: [RoutePricing.Skipped] = []
    for route in choice.entry.routes
    where !kept.contains(route.carrierServiceID) && seen.insert(route.carrierServiceID).inserted {
      // Step 7 leaves a service out for one of four reasons, checked in this order.
      let reason: RoutePricing.SkipReason
      if let egress = services[route.carrierServiceID] {
        if !assignments.allows(supplierCarrierID: egress.carrierID, customer: customer) {
          reason = .notAssigned
        } else {
          reason = choice.supplierClosedCode(route.carrierServiceID) ? .closedCode : .belowMargin
        }
      } else {
        reason = .unknownService
      }
      skipped.append(
        .init(
          serviceID: route.carrierServiceID, quote: choice.supplierQuote(route.carrierServiceID),
          reason: reason))
    }
    return RoutePricing(
      routingPlanID: choice.plan.id, entryPrefix: choice.entry.prefix, customerQuote: choice.customerQuote,
      suppliers: choice.serviceIDs.map { .init(serviceID: $0, quote: choice.supplierQuote($0)) },
      skipped: skipped, refusal: choice.serviceIDs.isEmpty ? choice.noSupplierRefusal : nil)
  }
}
