import Policy
import Routing

/// Everything the call path reads from PostgreSQL, read in one consistent
/// transaction: the raw material of the proxy's `Snapshot`.
public struct ReferenceData: Sendable {
  public var carriers: [Carrier]
  public var interconnects: [Interconnect]
  public var services: [CarrierService]
  public var routingPlans: [RoutingPlan]
  /// Each interconnect's settings rows, parsed (interconnects without rows are absent).
  public var policies: [String: InterconnectPolicy]
  /// Rating plans (customer prices and supplier costs), by id.
  public var ratingPlans: [RatingPlan]
  /// Exchange rates of the active currencies.
  public var currencies: Currencies
  /// `carrier_assignments`, by supplier carrier.
  public var assignments: CarrierAssignments
  /// The registrar's digest credentials: SIP username -> password of each
  /// active device of an active user (`device_registrations`, migration 0013).
  public var sipCredentials: [String: String]
  /// Softphone users, their devices and numbers (migration 0017).
  public var retail: RetailDirectory

  public init(
    carriers: [Carrier], interconnects: [Interconnect], services: [CarrierService],
    routingPlans: [RoutingPlan], policies: [String: InterconnectPolicy] = [:], ratingPlans: [RatingPlan] = [],
    currencies: Currencies = Currencies(), assignments: CarrierAssignments = CarrierAssignments(),
    sipCredentials: [String: String] = [:], retail: RetailDirectory = RetailDirectory()
  ) {
    self.sipCredentials = sipCredentials
    self.retail = retail
    self.carriers = carriers
    self.interconnects = interconnects
    self.services = services
    self.routingPlans = routingPlans
    self.policies = policies
    self.ratingPlans = ratingPlans
    self.currencies = currencies
    self.assignments = assignments
  }
}

/// A row the loader cannot turn into reference data; the reload that met it
/// fails and the previous snapshot stays.
public struct ReferenceDataError: Error, CustomStringConvertible, Sendable {
  public var table: String
  public var rowID: String
  public var problem: String

  public var description: String { "\(table) row \(rowID): \(problem)" }
}
