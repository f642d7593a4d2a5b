/// Why a certificate name (an interconnect's `tls_client_subject` or
/// `tls_client_san`, Migration 0025) is refused.
public struct CertificateNameError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String

  public init(_ message: String) {
    self.message = message
  }

  public var description: String { message }
}
