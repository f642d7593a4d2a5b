/// A row of `carrier_services` (seed 001): the link from an interconnect to
/// a routing plan (ingress) or to a supplier's rating plan (egress).
public struct CarrierService: Sendable, Equatable {
  public enum Direction: String, Sendable, CaseIterable {
    case ingress
    case egress
  }

  public var id: String
  public var shortCode: String?
  public var carrierID: String
  public var interconnectID: String
  public var name: String
  public var direction: Direction
  public var status: RouteStatus
  public var ratingPlanID: String?
  public var routingPlanID: String?
  /// Egress: prepended to the destination number sent to the supplier.
  public var techPrefix: String
  public var priority: Int
  public var weight: Int
  public var capacityMode: CapacityMode
  public var capacityLimit: Int?
  /// `max_cps` when `max_cps_enabled` (addition to the seed).
  public var callRate: CallRateLimit?

  public init(
    id: String, shortCode: String? = nil, carrierID: String, interconnectID: String, name: String,
    direction: Direction, status: RouteStatus = .active, ratingPlanID: String? = nil,
    routingPlanID: String? = nil, techPrefix: String = "", priority: Int = 1, weight: Int = 1,
    capacityMode: CapacityMode = .unrestricted, capacityLimit: Int? = nil, callRate: CallRateLimit? = nil
  ) {
    self.id = id
    self.shortCode = shortCode
    self.carrierID = carrierID
    self.interconnectID = interconnectID
    self.name = name
    self.direction = direction
    self.status = status
    self.ratingPlanID = ratingPlanID
    self.routingPlanID = routingPlanID
    self.techPrefix = techPrefix
    self.priority = priority
    self.weight = weight
    self.capacityMode = capacityMode
    self.capacityLimit = capacityLimit
    self.callRate = callRate
  }
}
