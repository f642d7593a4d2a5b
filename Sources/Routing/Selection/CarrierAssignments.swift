/// Which customers each supplier may carry (`carrier_assignments`): a
/// supplier carrier with no assignment rows carries every customer; one
/// with rows carries a customer that any row admits:
/// - `all`: every customer;
/// - `categories`: customers whose `customer_category_id` is listed;
/// - `groups`: customers whose `customer_group_id` is listed;
/// - `customers`: customers (carrier ids) listed.
public struct CarrierAssignments: Sendable, Equatable {
  /// One `carrier_assignments` row.
  public enum Assignment: Sendable, Equatable {
    case all
    case categories(Set<String>)
    case groups(Set<String>)
    case customers(Set<String>)
  }

  /// The customer side of a call, as assignments see it.
  public struct Customer: Sendable, Equatable {
    public var carrierID: String
    public var categoryID: String?
    public var groupID: String?

    public init(carrierID: String, categoryID: String? = nil, groupID: String? = nil) {
      self.carrierID = carrierID
      self.categoryID = categoryID
      self.groupID = groupID
    }
  }

  /// Supplier carrier id → its rows.
  public private(set) var bySupplier: [String: [Assignment]]

  public init(_ bySupplier: [String: [Assignment]] = [:]) {
    self.bySupplier = bySupplier
  }

  /// Whether `supplierCarrierID` may carry a call of `customer`.
  public func allows(supplierCarrierID: String, customer: Customer) -> Bool {
    guard let rows = bySupplier[supplierCarrierID], !rows.isEmpty else { return true }
    return rows.contains { row in
      switch row {
      case .all: true
      case .categories(let ids): customer.categoryID.map(ids.contains) ?? false
      case .groups(let ids): customer.groupID.map(ids.contains) ?? false
      case .customers(let ids): ids.contains(customer.carrierID)
      }
    }
  }
}
