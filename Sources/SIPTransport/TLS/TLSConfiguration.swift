/// The TLS settings of the transport layer: the switch's certificate and key,
/// the CA bundle it verifies peers against, and what it offers.
public struct TLSConfiguration: Sendable, Hashable {
  /// PEM: the switch's certificate followed by its intermediates (a chain file).
  public var certificateFile: String?
  /// PEM: the private key of `certificateFile`.
  public var privateKeyFile: String?
  /// PEM CA bundle that servers (outbound TLS) are verified against; without
  /// it, the system's default CA paths.
  public var caFile: String?
  /// TLS 1.2 cipher list in OpenSSL's syntax (`ECDHE+AESGCM:ECDHE+CHACHA20`);
  /// `nil` keeps OpenSSL's default. TLS 1.3 suites are OpenSSL's defaults.
  public var ciphers: String?
  /// Key exchange groups in preference order (`X25519:P-256`); `nil` keeps
  /// OpenSSL's default.
  public var curves: String?

  public init(
    certificateFile: String? = nil, privateKeyFile: String? = nil, caFile: String? = nil,
    ciphers: String? = nil, curves: String? = nil
  ) {
    self.certificateFile = certificateFile
    self.privateKeyFile = privateKeyFile
    self.caFile = caFile
    self.ciphers = ciphers
    self.curves = curves
  }

  /// The default TLS 1.2 cipher list: forward secrecy and AEAD only.
  public static let defaultCiphers = "ECDHE+AESGCM:ECDHE+CHACHA20"
}
