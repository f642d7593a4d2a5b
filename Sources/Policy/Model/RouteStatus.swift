/// Seed enum `route_status`: the status of a carrier, or of a carrier service.
public enum RouteStatus: String, Sendable, CaseIterable {
  case active
  case paused
  case disabled
  /// Used only for calls that arrive from the entity's own configured
  /// addresses (a carrier under test reaches its own routes; nobody else does).
  case testing
}

/// Seed enum `carrier_partner_type`.
public enum PartnerType: String, Sendable, CaseIterable {
  case customer
  case supplier
  case bilateral
}

/// Seed enum `capacity_mode`.
public enum CapacityMode: String, Sendable, CaseIterable {
  case unrestricted
  case capped
}

/// `carrier_interconnects.direction`.
public enum InterconnectDirection: String, Sendable, CaseIterable {
  case ingress
  case egress
  case both

  public var allowsIngress: Bool { self != .egress }
  public var allowsEgress: Bool { self != .ingress }
}
