import SIPCore

/// Why the transport layer could not set something up.
public enum TransportError: Error, CustomStringConvertible {
  /// A `tls:` listener without a certificate (`TLSContextStore` without `certificateFile`).
  case tlsNotConfigured(Endpoint)
  /// The host is not a numeric IPv4 or IPv6 address (the transport layer resolves no names).
  case invalidAddress(Endpoint)
  /// The socket could not be bound (address in use, not local, no permission).
  case bindFailed(Endpoint, underlying: any Error)
  /// `shutdown()` has been called.
  case shutDown

  public var description: String {
    switch self {
    case .tlsNotConfigured(let endpoint):
      "cannot bind \(endpoint): no TLS certificate configured (tls.certificate_file)"
    case .invalidAddress(let endpoint):
      "cannot use \(endpoint): host is not a numeric IP address"
    case .bindFailed(let endpoint, let underlying):
      "cannot bind \(endpoint): \(underlying)"
    case .shutDown:
      "the transport layer is shut down"
    }
  }
}
