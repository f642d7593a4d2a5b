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
