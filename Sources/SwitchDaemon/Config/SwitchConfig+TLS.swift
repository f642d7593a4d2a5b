import Logging
import SIPTransport

extension SwitchConfig {
  /// `[tls]`: the certificate of `tls:` listeners and what outbound TLS trusts
  /// (docs/tls.md).
  public struct TLSSettings: Sendable, Equatable {
    /// `tls.certificate_file`: PEM, the switch's certificate then its
    /// intermediates. Required by a `tls:` listener. Default "" (none).
    public var certificateFile: String = ""
    /// `tls.private_key_file`: PEM, the certificate's private key. Default "".
    public var privateKeyFile: String = ""
    /// `tls.ca_file`: PEM CA bundle that outbound TLS verifies servers
    /// against; "" (the default) uses the system's CA paths.
    public var caFile: String = ""
    /// `tls.ciphers`: the TLS 1.2 cipher list (OpenSSL syntax); TLS 1.3
    /// suites are OpenSSL's. Default "ECDHE+AESGCM:ECDHE+CHACHA20".
    public var ciphers: String = TLSConfiguration.defaultCiphers
    /// `tls.curves`: key exchange groups in preference order; "" (the
    /// default) keeps OpenSSL's (X25519 first).
    public var curves: String = ""

    public init() {}

    /// What the transport layer takes.
    public var transportConfiguration: TLSConfiguration {
      TLSConfiguration(
        certificateFile: certificateFile.isEmpty ? nil : certificateFile,
        privateKeyFile: privateKeyFile.isEmpty ? nil : privateKeyFile,
        caFile: caFile.isEmpty ? nil : caFile,
        ciphers: ciphers.isEmpty ? nil : ciphers,
        curves: curves.isEmpty ? nil : curves)
    }
  }

  /// `[tls]`: a `tls:` listener needs a certificate and key; a key without a
  /// certificate (or the reverse) is a mistake. The files themselves are
  /// checked by `check-config` and at start (`TLSContextStore`).
  func validateTLS() throws(ConfigError) {
    let listensOnTLS = sip.listen.contains { $0.transport == .tls }
    if listensOnTLS, tls.certificateFile.isEmpty {
      throw fail("tls.certificate_file", "is required by a tls: listener in sip.listen")
    }
    if !tls.certificateFile.isEmpty, tls.privateKeyFile.isEmpty {
      throw fail("tls.private_key_file", "is required with tls.certificate_file")
    }
    if tls.certificateFile.isEmpty, !tls.privateKeyFile.isEmpty {
      throw fail("tls.certificate_file", "is required with tls.private_key_file")
    }
    let allowed = tls.ciphers + tls.curves
    guard allowed.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
      throw fail(
        "tls.ciphers", "cipher and curve lists take no spaces (OpenSSL list syntax, \":\" between names)")
    }
  }

  /// The TLS contexts of the transport layer: always built (outbound TLS needs
  /// the client context), with a server context when a certificate is set. A
  /// file that does not load stops the start, naming the file and the reason.
  func tlsContextStore(logger: Logger) throws -> TLSContextStore {
    do {
      let store = try TLSContextStore(configuration: tls.transportConfiguration)
      if let notAfter = store.certificateNotAfter {
        logger.info(
          "TLS certificate loaded",
          metadata: ["file": "\(tls.certificateFile)", "not_after_unix": "\(notAfter)"])
      }
      return store
    } catch {
      logger.critical("cannot load TLS: \(error)")
      throw error
    }
  }
}
