/// What the switch expects of a server it reaches over TLS, beyond the CA
/// chain: the name its certificate must carry (sent as SNI), or a pinned
/// certificate. Without one, the destination's IP address is the name.
public struct TLSPeer: Sendable, Hashable {
  /// The DNS name the server's certificate must name (subjectAltName), sent as SNI.
  public var serverName: String?
  /// SHA-256 of the server's certificate (DER), 64 lower-case hex digits. When
  /// set, that certificate is accepted whoever signed it (a self-signed
  /// supplier certificate), and no other.
  public var fingerprintSHA256: String?

  public init(serverName: String? = nil, fingerprintSHA256: String? = nil) {
    self.serverName = serverName
    self.fingerprintSHA256 = fingerprintSHA256?.lowercased()
  }
}
