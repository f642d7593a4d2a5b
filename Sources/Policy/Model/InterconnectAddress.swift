/// One `interconnect_ip_addresses` row of type `transport`: an address, a
/// CIDR block, or a range from `ip_address` to `range_end`, optionally
/// limited to one source port.
public struct InterconnectAddress: Sendable, Equatable {
  public enum Match: Sendable, Equatable {
    /// One address, or a CIDR block (`prefixLength` < 32 or 128).
    case network(IPAddress, prefixLength: Int)
    /// `is_range`: every address from `first` to `last` inclusive.
    case range(IPAddress, IPAddress)
  }

  public var match: Match
  /// `sip_port` (addition to the seed): nil matches any source port.
  public var port: Int?

  public init(match: Match, port: Int? = nil) {
    self.match = match
    self.port = port
  }
}

extension InterconnectAddress.Match {
  /// Whether `address` lies in the block or range (same address family only).
  public func contains(_ address: IPAddress) -> Bool {
    switch self {
    case .network(let network, let prefixLength):
      return address.isIn(network: network, prefixLength: prefixLength)
    case .range(let first, let last):
      return address.isIPv6 == first.isIPv6 && address.isIPv6 == last.isIPv6 && first <= address
        && address <= last
    }
  }

  /// The number of addresses covered, minus one, as a 128-bit number
  /// (`high`, `low`): 0 for one address. Smaller is more specific.
  public var span: (high: UInt64, low: UInt64) {
    switch self {
    case .network(let network, let prefixLength):
      let hostBits = network.bitWidth - min(max(prefixLength, 0), network.bitWidth)
      // Smart shifts: shifting a UInt64 by 64 or more gives 0.
      let low: UInt64 = hostBits >= 64 ? .max : (1 << UInt64(hostBits)) - 1
      let high: UInt64 = hostBits <= 64 ? 0 : hostBits >= 128 ? .max : (1 << UInt64(hostBits - 64)) - 1
      return (high, low)
    case .range(let first, let last):
      guard first <= last else { return (0, 0) }
      let borrow: UInt64 = last.low < first.low ? 1 : 0
      return (last.high &- first.high &- borrow, last.low &- first.low)
    }
  }
}
