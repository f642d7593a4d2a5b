import Policy
import Routing
import SIPCore

/// Softswitch mode: decides an initial INVITE against the reference-data
/// snapshot, in the order of ARCHITECTURE.md's call pipeline. Each step
/// either passes the call on or refuses it with a SIP status and a reason
/// phrase naming the rule (the proxy core logs it with the source).
///
/// 1. identify the ingress interconnect (source address, port, transport,
///    tech prefix; `IngressIdentifier`), which strips the tech prefix;
/// 2. the ingress carrier service's routing plan;
/// 3. the longest matching prefix of the destination number: none is 404;
/// 4. the entry's egress carrier services in priority order, keeping those
///    whose service, interconnect and carrier can take the call: none is 503;
/// 5. one target per service: its interconnect's address and transport,
///    with the service's tech prefix put before the number.
public struct CallPipeline: CallRouter {
  public let snapshot: Snapshot

  public init(snapshot: Snapshot) { self.snapshot = snapshot }

  public func route(invite: SIPMessage, source: Endpoint) -> RouteDecision {
    // 1. Who is calling.
    let requestUser = invite.requestURI?.user ?? ""
    let match: IngressMatch
    switch snapshot.identifier.identify(source: source, requestURIUser: requestUser) {
    case .rejected(let status, let reason):
      return .reject(status: status, reason: reason)
    case .matched(let found):
      match = found
    }
    // 2. Their routing plan.
    guard let planID = match.service.routingPlanID, let plan = snapshot.routingPlans[planID] else {
      return .reject(status: 403, reason: "No Routing Plan")
    }
    // 3. Longest prefix.
    let number = match.number
    guard let entry = plan.lookup(destination: number) else {
      return .reject(status: 404, reason: "No Route")
    }
    // 4. Usable egress services, in order.
    var targets: [RouteTarget] = []
    targets.reserveCapacity(entry.routes.count)
    for serviceID in RouteSelection.egressServiceIDs(for: entry, isUsable: { _ in true }) {
      if let target = target(for: serviceID, number: number, caller: match.carrier) { targets.append(target) }
    }
    if targets.isEmpty { return .reject(status: 503, reason: "No Available Route") }
    return .route(
      RoutedCall(
        targets: targets, extraFailoverStatuses: plan.failoverCodes(for: entry),
        ingress: CarrierLeg(
          carrierID: match.carrier.id, interconnectID: match.interconnect.id, serviceID: match.service.id),
        callerNumber: invite.fromURI?.user, calledNumber: number))
  }

  /// 5. The target for one egress service, or nil when the service, its
  /// interconnect or its carrier cannot take a call from `caller`.
  private func target(for serviceID: String, number: String, caller: Carrier) -> RouteTarget? {
    guard let service = snapshot.services[serviceID], service.direction == .egress,
      let interconnect = snapshot.interconnects[service.interconnectID], interconnect.isActive,
      interconnect.direction.allowsEgress, let destination = interconnect.egressEndpoint,
      let carrier = snapshot.carriers[service.carrierID]
    else { return nil }
    // `testing` entities only carry their own carrier's calls (docs/database.md).
    guard service.status.isUsable(forIngressCarrier: caller.id, ownerCarrier: carrier.id),
      carrier.status.isUsable(forIngressCarrier: caller.id, ownerCarrier: carrier.id)
    else { return nil }
    // Circular routing: a call goes back to the carrier it came from only
    // when that carrier allows it, or when the route is under test.
    if carrier.id == caller.id, !caller.circularRouting, service.status != .testing,
      carrier.status != .testing
    {
      return nil
    }
    return RouteTarget(
      destination: destination, requestURIUser: service.techPrefix + number,
      egress: CarrierLeg(carrierID: carrier.id, interconnectID: interconnect.id, serviceID: service.id))
  }
}
