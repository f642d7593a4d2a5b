/// Seed enum `route_status`: the status of a carrier, or of a carrier service.
public enum RouteStatus: String, Sendable, CaseIterable {
  case active
  case paused
  case disabled
  /// Used only for calls that arrive from the entity's own configured
  /// addresses (a carrier under test reaches its own routes; nobody else does).
  case testing

  /// Whether a carrier or carrier service in this status may carry a call
  /// that arrived from `ingressCarrierID`, when it belongs to `ownerCarrierID`.
  /// `active`: always. `paused`, `disabled`: never. `testing`: only when the
  /// call came in from the same carrier. Ingress identification admits a
  /// `testing` carrier or service (it is recognised by its own addresses);
  /// egress route selection uses this check so that a carrier under test
  /// reaches only its own routes and nobody else's calls reach them.
  public func isUsable(forIngressCarrier ingressCarrierID: String, ownerCarrier ownerCarrierID: String)
    -> Bool
  {
    switch self {
    case .active: true
    case .paused, .disabled: false
    case .testing: ingressCarrierID == ownerCarrierID
    }
  }
}
