import SIPCore

/// Finds the ingress interconnect, carrier and ingress carrier service of an
/// initial INVITE from its source transport address and Request-URI user
/// (call pipeline step 2). Built once per reference-data snapshot; immutable.
///
/// An address row of an interconnect is a **candidate** when all hold:
/// 1. the interconnect's direction allows ingress (`ingress` or `both`);
/// 2. the row contains the source IP (a single address, a CIDR block or an
///    inclusive range; IPv4-mapped IPv6 sources count as IPv4);
/// 3. the row's port is nil (any port) or equals the source port;
/// 4. the interconnect's `transport` equals the source transport exactly
///    (`tls` is not `tcp`: a trunk provisioned for TLS must arrive over TLS,
///    and a TCP trunk does not accept TLS);
/// 5. the Request-URI user starts with the interconnect's tech prefix
///    (byte for byte; an empty tech prefix accepts every user).
///
/// The **most specific** candidate wins, compared in this order:
/// 1. the smaller address block: an exact address (/32, /128) beats any
///    CIDR block, a longer prefix beats a shorter one, and a range counts by
///    the number of addresses it spans (a 10-address range beats a /24);
/// 2. a row with a port beats an any-port row;
/// 3. the longer tech prefix;
/// 4. the lower interconnect id, so that ties are decided the same way on
///    every node and every reload.
///
/// The winner is then admitted or rejected; a rejected winner never falls
/// through to a less specific candidate (a disabled trunk must not quietly
/// become a wider one with other prices and routes):
/// - carrier `paused` or `disabled`: 403 "Carrier Paused" / "Carrier Disabled";
/// - interconnect not active: 403 "Interconnect Inactive";
/// - its ingress carrier service is the `carrier_services` row of the
///   interconnect with direction `ingress` and status `active` or `testing`,
///   the lowest priority number first, then the lowest id; when there is no
///   ingress row at all: 403 "No Ingress Service"; when every ingress row is
///   paused or disabled: 403 "Ingress Service Paused" / "Ingress Service
///   Disabled" (the status of the first by priority).
///
/// A `testing` carrier or service is admitted: it was recognised by its own
/// addresses. `testing` matters on egress, where `RouteStatus.isUsable(
/// forIngressCarrier:ownerCarrier:)` lets a testing service carry only calls
/// that came in from its own carrier.
///
/// No candidate (or a source host that is not an IP address): 403 "Unknown
/// Interconnect". Interconnects whose carrier is missing from `carriers`
/// are left out and listed in `unlinkedInterconnectIDs`.
///
/// Lookup cost does not grow with the number of interconnects: see
/// `AddressIndex`. Matching rules are also described in `docs/identification.md`.
public struct IngressIdentifier: Sendable {
  /// One address row of one ingress interconnect.
  private struct Rule: Sendable {
    var entry: Int
    var port: Int?
    var span: (high: UInt64, low: UInt64)
  }

  private enum Admission: Sendable {
    case admit(Carrier, CarrierService)
    case reject(reason: String)
  }

  private struct Entry: Sendable {
    var interconnect: Interconnect
    var techPrefixLength: Int
    var admission: Admission
  }

  private let entries: [Entry]
  private let rules: [Rule]
  private let index: AddressIndex
  /// Ingress interconnects left out because their carrier is not in `carriers`.
  public let unlinkedInterconnectIDs: [String]

  public init(carriers: [Carrier], interconnects: [Interconnect], services: [CarrierService]) {
    let carriersByID = Dictionary(carriers.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    var ingressServices: [String: [CarrierService]] = [:]
    for service in services where service.direction == .ingress {
      ingressServices[service.interconnectID, default: []].append(service)
    }

    var entries: [Entry] = []
    var rules: [Rule] = []
    var rows: [(match: InterconnectAddress.Match, key: Int)] = []
    var unlinked: [String] = []
    for interconnect in interconnects where interconnect.direction.allowsIngress {
      guard let carrier = carriersByID[interconnect.carrierID] else {
        unlinked.append(interconnect.id)
        continue
      }
      let admission = Self.admission(
        carrier: carrier, interconnect: interconnect, services: ingressServices[interconnect.id] ?? [])
      entries.append(
        Entry(
          interconnect: interconnect, techPrefixLength: interconnect.techPrefix.utf8.count,
          admission: admission))
      for address in interconnect.addresses {
        rows.append((address.match, rules.count))
        rules.append(Rule(entry: entries.count - 1, port: address.port, span: address.match.span))
      }
    }
    self.entries = entries
    self.rules = rules
    self.index = AddressIndex(rows)
    self.unlinkedInterconnectIDs = unlinked
  }

  /// Identifies the sender of an initial INVITE that arrived from `source`
  /// with `requestURIUser` as the Request-URI user part.
  public func identify(source: Endpoint, requestURIUser: String) -> IngressDecision {
    guard let address = IPAddress(source.host) else { return .unknownInterconnect }
    var best: Rule?
    for key in index.keys(containing: address) {
      let rule = rules[key]
      guard rule.port == nil || rule.port == source.port else { continue }
      let interconnect = entries[rule.entry].interconnect
      guard interconnect.transport == source.transport,
        requestURIUser.utf8.starts(with: interconnect.techPrefix.utf8)
      else { continue }
      if let current = best, !isMoreSpecific(rule, than: current) { continue }
      best = rule
    }
    guard let best else { return .unknownInterconnect }

    let entry = entries[best.entry]
    switch entry.admission {
    case .reject(let reason):
      return .rejected(status: 403, reason: reason)
    case .admit(let carrier, let service):
      let number = String(decoding: requestURIUser.utf8.dropFirst(entry.techPrefixLength), as: UTF8.self)
      return .matched(
        IngressMatch(carrier: carrier, interconnect: entry.interconnect, service: service, number: number))
    }
  }

  /// The specificity order of the type's documentation.
  private func isMoreSpecific(_ rule: Rule, than other: Rule) -> Bool {
    if rule.span != other.span { return rule.span < other.span }
    if (rule.port == nil) != (other.port == nil) { return rule.port != nil }
    let entry = entries[rule.entry]
    let otherEntry = entries[other.entry]
    if entry.techPrefixLength != otherEntry.techPrefixLength {
      return entry.techPrefixLength > otherEntry.techPrefixLength
    }
    return entry.interconnect.id < otherEntry.interconnect.id
  }

  private static func admission(
    carrier: Carrier, interconnect: Interconnect, services: [CarrierService]
  ) -> Admission {
    switch carrier.status {
    case .paused: return .reject(reason: "Carrier Paused")
    case .disabled: return .reject(reason: "Carrier Disabled")
    case .active, .testing: break
    }
    guard interconnect.isActive else { return .reject(reason: "Interconnect Inactive") }
    let ranked = services.sorted { ($0.priority, $0.id) < ($1.priority, $1.id) }
    if let service = ranked.first(where: { $0.status == .active || $0.status == .testing }) {
      return .admit(carrier, service)
    }
    switch ranked.first?.status {
    case .paused: return .reject(reason: "Ingress Service Paused")
    case .disabled: return .reject(reason: "Ingress Service Disabled")
    default: return .reject(reason: "No Ingress Service")
    }
  }
}
