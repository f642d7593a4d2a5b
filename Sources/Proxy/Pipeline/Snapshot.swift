import Policy
import Routing

/// The reference data one call is decided against: carriers, interconnects,
/// carrier services and routing plans, with the ingress index built from
/// them. Immutable; built off the event loop at start and on every reload,
/// then swapped into the proxy in one assignment, so a call never sees half
/// of a reload.
public final class Snapshot: Sendable {
  public let carriers: [String: Carrier]
  public let interconnects: [String: Interconnect]
  public let services: [String: CarrierService]
  public let routingPlans: [String: RoutingPlan]
  public let identifier: IngressIdentifier
  /// Every address of every interconnect: who is not an unknown source.
  public let knownPeers: KnownPeers
  /// Each interconnect's settings; `defaultPolicy` for those without rows.
  public let policies: [String: InterconnectPolicy]
  public let defaultPolicy = InterconnectPolicy()
  /// How many routing-plan prefixes the snapshot holds (for logs).
  public let prefixCount: Int
  /// Rating plans by id: customer prices (ingress services) and supplier costs (egress services).
  public let ratingPlans: [String: RatingPlan]
  public let currencies: Currencies
  public let assignments: CarrierAssignments
  /// How many rate rows the rating plans hold (for logs).
  public let rateCount: Int
  /// The registrar's digest credentials: SIP username -> password.
  public let sipCredentials: [String: String]
  /// Softphone users, their devices and numbers: who an authenticated INVITE
  /// is from, and which dialled numbers are on-net (docs/softphones.md).
  public let retail: RetailDirectory

  public init(
    carriers: [Carrier], interconnects: [Interconnect], services: [CarrierService],
    routingPlans: [RoutingPlan], policies: [String: InterconnectPolicy] = [:], ratingPlans: [RatingPlan] = [],
    currencies: Currencies = Currencies(), assignments: CarrierAssignments = CarrierAssignments(),
    sipCredentials: [String: String] = [:], retail: RetailDirectory = RetailDirectory()
  ) {
    self.sipCredentials = sipCredentials
    self.retail = retail
    self.policies = policies
    self.ratingPlans = Dictionary(ratingPlans.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.currencies = currencies
    self.assignments = assignments
    rateCount = ratingPlans.reduce(0) { $0 + $1.rateCount }
    self.carriers = Dictionary(carriers.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.interconnects = Dictionary(interconnects.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.services = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    self.routingPlans = Dictionary(routingPlans.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    identifier = IngressIdentifier(carriers: carriers, interconnects: interconnects, services: services)
    knownPeers = KnownPeers(interconnects: interconnects)
    prefixCount = routingPlans.reduce(0) { $0 + $1.entries.count }
  }

  public func policy(of interconnectID: String) -> InterconnectPolicy {
    policies[interconnectID] ?? defaultPolicy
  }

  /// `plan`'s price for `number` at `unixMs`, with its currency's exchange rate.
  func quote(_ plan: RatingPlan, _ number: String, atUnixMs unixMs: Int64) -> RateQuote? {
    lookup(plan, number, atUnixMs: unixMs).quote
  }

  /// What `plan` says about `number` at `unixMs` (a price, with its
  /// currency's exchange rate; a closed code; nothing).
  func lookup(_ plan: RatingPlan, _ number: String, atUnixMs unixMs: Int64) -> RateLookup {
    let found = plan.lookup(destination: number, atUnixMs: unixMs)
    guard case .rated(var quote) = found else { return found }
    quote.exchangeRate = currencies.rates[quote.currency]
    return .rated(quote)
  }
}
