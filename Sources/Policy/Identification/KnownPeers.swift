import SIPCore

/// The IP addresses the reference data knows: every address row of every
/// interconnect (ingress or egress, any status, any port or transport) and
/// every egress interconnect's host. A request from anywhere else comes from
/// an unknown source, which the switch answers as little as it may
/// (docs/identification.md). Built once per snapshot; immutable.
public struct KnownPeers: Sendable {
  private let index: AddressIndex
  private let hosts: Set<IPAddress>

  public init(interconnects: [Interconnect]) {
    var rows: [(match: InterconnectAddress.Match, key: Int)] = []
    var hosts = Set<IPAddress>()
    for interconnect in interconnects {
      for address in interconnect.addresses { rows.append((address.match, 0)) }
      if let host = interconnect.host, let address = IPAddress(host) { hosts.insert(address) }
    }
    index = AddressIndex(rows)
    self.hosts = hosts
  }

  /// Whether `host` (an IP address as text) belongs to a known interconnect.
  public func contains(host: String) -> Bool {
    guard let address = IPAddress(host) else { return false }
    return hosts.contains(address) || !index.keys(containing: address).isEmpty
  }
}
