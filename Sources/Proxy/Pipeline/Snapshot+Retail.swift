import Policy

/// A softphone user's call enters the pipeline as its retail carrier's
/// (docs/softphones.md "Routing and rating").
extension Snapshot {
  /// The ingress carrier, interconnect and carrier service that route and
  /// rate `user`'s calls: `users.carrier_service_id` when set (it must be an
  /// ingress service), else the ingress service of the user's carrier
  /// (`users.carrier_id`) that identification would pick: `active` or
  /// `testing`, the lowest priority number, then the lowest id. A user with
  /// neither, or whose carrier or service may not carry calls, is refused
  /// with 403 and a reason phrase naming it.
  func retailIngress(of user: RetailUser, number: String) -> Result<IngressMatch, Refusal> {
    let service: CarrierService
    if let id = user.carrierServiceID {
      guard let chosen = services[id], chosen.direction == .ingress else {
        return .failure(.ingress(status: 403, reason: "User Ingress Service Missing"))
      }
      service = chosen
    } else if let carrierID = user.carrierID {
      let candidates = services.values.filter { $0.carrierID == carrierID && $0.direction == .ingress }
        .sorted { ($0.priority, $0.id) < ($1.priority, $1.id) }
      guard let first = candidates.first else {
        return .failure(.ingress(status: 403, reason: "No Ingress Service"))
      }
      service = candidates.first { $0.status == .active || $0.status == .testing } ?? first
    } else {
      return .failure(.ingress(status: 403, reason: "User Has No Carrier"))
    }
    switch service.status {
    case .active, .testing: break
    case .paused: return .failure(.ingress(status: 403, reason: "Ingress Service Paused"))
    case .disabled: return .failure(.ingress(status: 403, reason: "Ingress Service Disabled"))
    }
    guard let carrier = carriers[service.carrierID], let interconnect = interconnects[service.interconnectID]
    else { return .failure(.ingress(status: 403, reason: "User Ingress Service Missing")) }
    switch carrier.status {
    case .active, .testing: break
    case .paused: return .failure(.ingress(status: 403, reason: "Carrier Paused"))
    case .disabled: return .failure(.ingress(status: 403, reason: "Carrier Disabled"))
    }
    return .success(
      IngressMatch(carrier: carrier, interconnect: interconnect, service: service, number: number))
  }
}
