import Glibc
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
        let metadata: Logger.Metadata = [
          "file": "\(tls.certificateFile)", "not_after": "\(Self.utc(notAfter))",
        ]
        if notAfter - Int64(time(nil)) < 30 * 86_400 {
          logger.warning("TLS certificate expired or expires within 30 days", metadata: metadata)
        } else {
          logger.info("TLS certificate loaded", metadata: metadata)
        }
      }
      return store
    } catch {
      logger.critical("cannot load TLS: \(error)")
      throw error
    }
  }

  /// What `check-config` says about the TLS files beyond `validate()`: they
  /// load (readable, PEM, the key matches the certificate, the CA bundle
  /// parses) and the certificate has not expired (errors); it expires within
  /// 30 days (the returned warning).
  public func checkTLSFiles(nowUnixSeconds: Int64) throws(ConfigError) -> [String] {
    let notAfter: Int64?
    do {
      notAfter = try TLSContextStore.check(tls.transportConfiguration)
    } catch {
      let key = error.message.contains("CA bundle") ? "tls.ca_file" : "tls.certificate_file"
      throw ConfigError(key: key, error.message)
    }
    guard let notAfter else { return [] }
    if notAfter <= nowUnixSeconds {
      throw ConfigError(
        key: "tls.certificate_file", "\(tls.certificateFile) expired (notAfter \(Self.utc(notAfter)))")
    }
    let days = (notAfter - nowUnixSeconds) / 86_400
    guard days < 30 else { return [] }
    return ["tls.certificate_file: \(tls.certificateFile) expires in \(days) days (\(Self.utc(notAfter)))"]
  }

  /// `2026-12-07T12:00:00Z`.
  static func utc(_ unixSeconds: Int64) -> String {
    var time = time_t(unixSeconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
      + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
  }
}
