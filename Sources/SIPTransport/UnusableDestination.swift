import NIOCore
import SIPCore

/// Why a destination cannot be a SIP peer. A send to one is refused before it
/// reaches a socket: the kernel would refuse it anyway (`EINVAL`, `EACCES`,
/// `ENETUNREACH`), or it would reach hosts that never asked for it.
public enum UnusableDestination: String, Sendable, Hashable, CustomStringConvertible {
  /// Port 0 (or a port out of range) names no socket.
  case invalidPort = "port 0 or out of range"
  /// `0.0.0.0/8`, `::`: "this host", never a peer.
  case unspecified = "unspecified address"
  /// `255.255.255.255`.
  case broadcast = "broadcast address"
  /// `224.0.0.0/4`, `ff00::/8`.
  case multicast = "multicast address"
  /// `240.0.0.0/4` (other than broadcast): reserved, not routable.
  case reserved = "reserved address"
  /// A listener bound to a loopback address can reach loopback addresses only.
  case notLoopback = "not a loopback address, from a loopback listener"

  public var description: String { self.rawValue }

  /// Why `address` cannot be sent to, or `nil` if it can.
  ///
  /// - Parameter fromLoopback: the sending socket is bound to a loopback address.
  static func check(_ address: SocketAddress, fromLoopback: Bool) -> UnusableDestination? {
    switch address {
    case .v4(let v4):
      guard let port = address.port, (1...65535).contains(port) else { return .invalidPort }
      return self.check(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr), fromLoopback: fromLoopback)
    case .v6(let v6):
      guard let port = address.port, (1...65535).contains(port) else { return .invalidPort }
      let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
      return self.check(ipv6: bytes, fromLoopback: fromLoopback)
    case .unixDomainSocket:
      return .unspecified
    }
  }

  /// `address` in host byte order.
  static func check(ipv4 address: UInt32, fromLoopback: Bool) -> UnusableDestination? {
    let firstOctet = address >> 24
    if firstOctet == 0 { return .unspecified }
    if address == 0xFFFF_FFFF { return .broadcast }
    if firstOctet & 0xF0 == 0xE0 { return .multicast }
    if firstOctet & 0xF0 == 0xF0 { return .reserved }
    if fromLoopback && firstOctet != 127 { return .notLoopback }
    return nil
  }

  /// `bytes`: the 16 bytes of an IPv6 address, network order.
  static func check(ipv6 bytes: [UInt8], fromLoopback: Bool) -> UnusableDestination? {
    precondition(bytes.count == 16)
    if bytes[0] == 0xFF { return .multicast }
    // ::ffff:a.b.c.d, an IPv4-mapped address: the IPv4 rules.
    if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
      let ipv4 = bytes[12...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      return self.check(ipv4: ipv4, fromLoopback: fromLoopback)
    }
    if bytes[0..<15].allSatisfy({ $0 == 0 }) {
      if bytes[15] == 0 { return .unspecified }
      if bytes[15] == 1 { return nil }  // ::1
    }
    return fromLoopback ? .notLoopback : nil
  }
}

extension UnusableDestination {
  /// Why a stream connection to `endpoint` must not be opened (there is no
  /// loopback rule for connections); `nil` for a usable address or a name.
  static func check(_ endpoint: Endpoint) -> UnusableDestination? {
    guard (1...65535).contains(endpoint.port) else { return .invalidPort }
    guard let address = endpoint.socketAddress else { return nil }
    return self.check(address, fromLoopback: false)
  }
}
