import COpenSSL

/// The certificates (SHA-256s of their DER) a peer may present, checked by
/// OpenSSL's verify callback on the peer's own certificate (depth 0): another
/// one fails the handshake there, with a `bad_certificate` alert, before a
/// TLS 1.2 server sends its Finished. Who signed it does not matter (errors
/// further up the chain are ignored). Reached from the callback through the
/// `SSL`'s app data; owned by its `TLSConnection`, which outlives the `SSL`.
final class TLSPinCheck {
  let accepted: Set<String>
  /// The SHA-256 of a certificate the callback refused ("none": unreadable).
  var rejected: String?

  init(_ accepted: Set<String>) {
    self.accepted = accepted
  }

  /// `SSL_verify_cb`: decides at depth 0 by fingerprint, accepts the rest.
  static let verify: @convention(c) (Int32, OpaquePointer?) -> Int32 = { _, store in
    guard let store, X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
    guard let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
      let data = SSL_get_ex_data(OpaquePointer(ssl), 0)
    else { return 0 }
    let check = Unmanaged<TLSPinCheck>.fromOpaque(data).takeUnretainedValue()
    let actual = X509_STORE_CTX_get_current_cert(store).flatMap(fingerprint) ?? "none"
    guard check.accepted.contains(actual) else {
      check.rejected = actual
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
      return 0
    }
    return 1
  }

  /// SHA-256 of a certificate (DER), lower-case hex.
  static func fingerprint(_ certificate: OpaquePointer) -> String? {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return nil }
    return digest.prefix(Int(length)).map { byte in
      let hex = String(byte, radix: 16)
      return byte < 16 ? "0" + hex : hex
    }.joined()
  }
}
