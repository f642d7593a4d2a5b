import NIOCore
import SIPCore

extension Endpoint {
  /// The endpoint of a socket address: numeric IP (IPv6 without brackets) and port.
  init?(_ address: SocketAddress?, transport: TransportKind) {
    guard let address, let host = address.ipAddress, let port = address.port else { return nil }
    self.init(transport: transport, host: host, port: port)
  }

  /// The socket address of a numeric host; `nil` for a name or a port out of range.
  var socketAddress: SocketAddress? {
    guard (0...65535).contains(self.port) else { return nil }
    return try? SocketAddress(ipAddress: self.host, port: self.port)
  }
}
