import COpenSSL
import Glibc

/// Owns one OpenSSL `SSL_CTX`: the settings every connection of one role
/// (server: accepted connections; client: connections the switch opens) is made
/// from. TLS 1.2 and 1.3 only, no compression, no renegotiation.
///
/// Immutable once built (OpenSSL's context is then safe to share across
/// threads); a renewed certificate is a new context.
final class TLSContext: @unchecked Sendable {
  enum Role: Sendable { case server, client }

  /// The highest version offered (tests of TLS 1.2; production offers 1.3).
  enum MaxVersion: Sendable { case tls12, tls13 }

  private let context: OpaquePointer
  let role: Role
  /// The certificate's `notAfter` in Unix seconds, if the context has one.
  private(set) var certificateNotAfter: Int64?

  init(role: Role, configuration: TLSConfiguration, maxVersion: MaxVersion = .tls13) throws(TLSError) {
    ERR_clear_error()
    let method = role == .server ? TLS_server_method() : TLS_client_method()
    guard let context = SSL_CTX_new(method) else {
      throw TLSError.fromQueue(.configuration, "SSL_CTX_new failed")
    }
    self.context = context
    self.role = role
    // Past this point `deinit` frees the context on every throw.
    try self.applyProtocol(configuration)
    if maxVersion == .tls12 { _ = didtron_SSL_CTX_set_max_proto_version(context, TLS1_2_VERSION) }
    try self.applyCredentials(configuration)
    try self.applyVerification(configuration)
    if role == .server {
      _ = didtron_SSL_CTX_set_session_cache_mode(context, didtron_SSL_SESS_CACHE_SERVER())
      let id = Array("didtron-switch".utf8)
      _ = SSL_CTX_set_session_id_context(context, id, UInt32(id.count))
    } else {
      _ = didtron_SSL_CTX_set_session_cache_mode(context, didtron_SSL_SESS_CACHE_CLIENT())
    }
    _ = didtron_SSL_CTX_set_mode(context, didtron_SSL_MODE_RELEASE_BUFFERS())
  }

  deinit {
    SSL_CTX_free(self.context)
  }

  private func applyProtocol(_ configuration: TLSConfiguration) throws(TLSError) {
    guard didtron_SSL_CTX_set_min_proto_version(self.context, TLS1_2_VERSION) == 1 else {
      throw TLSError.fromQueue(.configuration, "cannot require TLS 1.2")
    }
    didtron_SSL_CTX_set_default_options(self.context)
    let ciphers = configuration.ciphers ?? TLSConfiguration.defaultCiphers
    guard SSL_CTX_set_cipher_list(self.context, ciphers) == 1 else {
      throw TLSError.fromQueue(.configuration, "tls.ciphers \"\(ciphers)\" selects no cipher")
    }
    if let curves = configuration.curves {
      guard didtron_SSL_CTX_set1_groups_list(self.context, curves) == 1 else {
        throw TLSError.fromQueue(.configuration, "tls.curves \"\(curves)\" is not a list of known groups")
      }
    }
  }

  private func applyCredentials(_ configuration: TLSConfiguration) throws(TLSError) {
    guard let certificate = configuration.certificateFile else {
      guard self.role == .client else {
        throw TLSError(.configuration, "a TLS listener needs tls.certificate_file")
      }
      return
    }
    guard let key = configuration.privateKeyFile else {
      throw TLSError(.configuration, "tls.certificate_file needs tls.private_key_file")
    }
    guard SSL_CTX_use_certificate_chain_file(self.context, certificate) == 1 else {
      throw TLSError.fromQueue(.configuration, "cannot load certificate chain \(certificate)")
    }
    guard SSL_CTX_use_PrivateKey_file(self.context, key, SSL_FILETYPE_PEM) == 1 else {
      throw TLSError.fromQueue(.configuration, "cannot load private key \(key)")
    }
    guard SSL_CTX_check_private_key(self.context) == 1 else {
      throw TLSError.fromQueue(.configuration, "private key \(key) does not match certificate \(certificate)")
    }
    self.certificateNotAfter = Self.notAfter(SSL_CTX_get0_certificate(self.context))
  }

  private func applyVerification(_ configuration: TLSConfiguration) throws(TLSError) {
    if let ca = configuration.caFile {
      guard SSL_CTX_load_verify_locations(self.context, ca, nil) == 1 else {
        throw TLSError.fromQueue(.configuration, "cannot load CA bundle \(ca)")
      }
    } else if self.role == .client {
      _ = SSL_CTX_set_default_verify_paths(self.context)
    }
    if self.role == .client {
      // RFC 5922 §7.3: a client verifies the server's certificate.
      SSL_CTX_set_verify(self.context, SSL_VERIFY_PEER, nil)
    }
  }

  /// A new connection of this context's role. `serverName` (client only) is
  /// sent as SNI (unless it is an IP literal) and is what the server's
  /// certificate must name.
  /// `acceptedFingerprints`: client side, the pinned server certificate;
  /// server side, the client certificates required (mutual TLS), by SHA-256.
  /// `accepted`: server side, the client certificates required by
  /// fingerprint, subject or subjectAltName (replaces `acceptedFingerprints`).
  func makeConnection(
    serverName: String? = nil, resuming session: TLSSession? = nil, acceptedFingerprints: Set<String>? = nil,
    accepted: [TLSClientIdentity]? = nil
  ) throws(TLSError) -> TLSConnection {
    let pins = acceptedFingerprints.map { $0.sorted().map { TLSClientIdentity(fingerprintSHA256: $0) } }
    return try TLSConnection(
      context: self.context, role: self.role, serverName: serverName, resuming: session,
      accepted: accepted ?? pins)
  }

  /// `notAfter` of a certificate, in Unix seconds.
  static func notAfter(_ certificate: OpaquePointer?) -> Int64? {
    guard let certificate, let time = X509_get0_notAfter(certificate) else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    return Int64(timegm(&parts))
  }
}
