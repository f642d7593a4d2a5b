import Policy
import Routing

/// Step 7 of `CallPipeline`: the ingress service's routing plan, longest
/// prefix; the customer's price from its rating plan (a closed code is
/// refused); the entry's egress services, each kept only when its supplier
/// is assigned to this customer (carrier assignments), has not closed the
/// code, and its cost keeps the plan's margin, ordered by priority groups and
/// the entry's route order (as listed, weight or least cost of the plan's
/// reference call).
struct RouteChoice {
  let plan: RoutingPlan
  let entry: RoutingPlanEntry
  /// The customer's price (nil: the ingress service is not rated).
  let customerQuote: RateQuote?
  /// The egress services to try, in order.
  let serviceIDs: [String]
  /// Services left out because their supplier is not assigned to the customer.
  let notAssigned: Int
  /// Services left out because their cost breaks the plan's margin.
  let belowMargin: Int
  /// Services left out because their supplier's rating plan closed the code.
  let closedAtSupplier: Int
  /// The supplier cost of each of `entry.routes`, by index (a price, a
  /// closed code or none).
  private let supplierLookups: [RateLookup]

  @inline(__always)
  init(_ snapshot: Snapshot, _ match: IngressMatch, called: String, _ context: RouteContext) throws(Refusal) {
    guard let planID = match.service.routingPlanID, let plan = snapshot.routingPlans[planID] else {
      throw .noRoutingPlan
    }
    guard let entry = plan.lookup(destination: called) else { throw .noRoute }
    let (customerQuote, margin) = try Self.customerPrice(snapshot, match.service, called, context.unixMs)
    let supplierLookups = entry.routes.map { route in
      snapshot.services[route.carrierServiceID]?.ratingPlanID
        .flatMap { snapshot.ratingPlans[$0] }
        .map { snapshot.lookup($0, called, atUnixMs: context.unixMs) } ?? .unrated
    }
    let customer = CarrierAssignments.Customer(
      carrierID: match.carrier.id, categoryID: match.carrier.categoryID, groupID: match.carrier.groupID)
    var notAssigned = 0
    var belowMargin = 0
    var closedAtSupplier = 0
    let referenceSeconds = plan.lcrReferenceSeconds
    var random = SplitMix64(seed: context.randomSeed)
    serviceIDs = RouteSelection.egressServiceIDs(
      for: entry, order: plan.order(for: entry),
      isUsable: { serviceID in
        guard let service = snapshot.services[serviceID] else { return false }
        guard snapshot.assignments.allows(supplierCarrierID: service.carrierID, customer: customer) else {
          notAssigned += 1
          return false
        }
        let lookup = Self.lookup(of: serviceID, entry, supplierLookups)
        if case .closed = lookup {
          closedAtSupplier += 1
          return false
        }
        if let customerQuote, margin != .off {
          guard let cost = lookup.quote,
            margin.allows(customer: customerQuote, supplier: cost, currencies: snapshot.currencies)
          else {
            belowMargin += 1
            return false
          }
        }
        return true
      },
      cost: { serviceID in
        Self.lookup(of: serviceID, entry, supplierLookups).quote.map {
          RouteSelection.Cost(of: $0, seconds: referenceSeconds)
        }
      }, currencies: snapshot.currencies, random: &random)
    self.plan = plan
    self.entry = entry
    self.customerQuote = customerQuote
    self.supplierLookups = supplierLookups
    self.notAssigned = notAssigned
    self.belowMargin = belowMargin
    self.closedAtSupplier = closedAtSupplier
  }

  /// The customer's price from the ingress service's rating plan, and the
  /// plan's margin rule (none when the service is not rated).
  private static func customerPrice(
    _ snapshot: Snapshot, _ service: CarrierService, _ called: String, _ unixMs: Int64
  ) throws(Refusal) -> (RateQuote?, MarginRule) {
    guard let ratingPlanID = service.ratingPlanID else { return (nil, .off) }
    guard let ratingPlan = snapshot.ratingPlans[ratingPlanID] else { throw .noCustomerRate }
    switch snapshot.lookup(ratingPlan, called, atUnixMs: unixMs) {
    case .rated(let quote): return (quote, ratingPlan.margin)
    case .closed: throw .closedCode
    case .unrated: throw .noCustomerRate
    }
  }

  /// Whether the rating plan of `serviceID`'s supplier closed the called code.
  func supplierClosedCode(_ serviceID: String) -> Bool {
    if case .closed = Self.lookup(of: serviceID, entry, supplierLookups) { return true }
    return false
  }

  /// Step 8's refusal when no supplier is left after the live checks (codec,
  /// credit) found none to skip: the most telling of step 7's reasons.
  var noSupplierRefusal: Refusal {
    if belowMargin > 0 { return .noRouteWithinMargin }
    if closedAtSupplier > 0 { return .supplierCodeClosed }
    if notAssigned > 0 { return .noAssignedRoute }
    return .noAvailableRoute
  }

  /// The supplier's cost for the called number through `serviceID` (nil: not rated).
  func supplierQuote(_ serviceID: String) -> RateQuote? {
    Self.lookup(of: serviceID, entry, supplierLookups).quote
  }

  private static func lookup(of serviceID: String, _ entry: RoutingPlanEntry, _ lookups: [RateLookup])
    -> RateLookup
  {
    entry.routes.firstIndex { $0.carrierServiceID == serviceID }.map { lookups[$0] } ?? .unrated
  }
}
