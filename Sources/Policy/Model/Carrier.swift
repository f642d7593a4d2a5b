/// A row of `carriers` (seed 001) as the switch needs it on the call path.
public struct Carrier: Sendable, Equatable {
  public var id: String
  public var code: String
  public var name: String
  public var partnerType: PartnerType
  public var status: RouteStatus
  public var capacityMode: CapacityMode
  public var capacityLimit: Int?
  public var circularRouting: Bool
  /// The customer's category and group (`customer_category_id`,
  /// `customer_group_id`), which carrier assignments may name.
  public var categoryID: String?
  public var groupID: String?

  public init(
    id: String, code: String, name: String, partnerType: PartnerType, status: RouteStatus,
    capacityMode: CapacityMode = .unrestricted, capacityLimit: Int? = nil, circularRouting: Bool = false,
    categoryID: String? = nil, groupID: String? = nil
  ) {
    self.id = id
    self.code = code
    self.name = name
    self.partnerType = partnerType
    self.status = status
    self.capacityMode = capacityMode
    self.capacityLimit = capacityLimit
    self.circularRouting = circularRouting
    self.categoryID = categoryID
    self.groupID = groupID
  }
}
