import COpenSSL

/// The certificates a peer may present (`TLSClientIdentity`: by SHA-256,
/// subject or subjectAltName), checked by OpenSSL's verify callback on the
/// peer's own certificate (depth 0): another one fails the handshake there,
/// with an alert, before a TLS 1.2 server sends its Finished. Errors further
/// up the chain do not stop the verification; they are kept, and a name
/// counts only if there was none (the chain verifies against `tls.ca_file`).
/// Reached from the callback through the `SSL`'s app data; owned by its
/// `TLSConnection`, which outlives the `SSL`.
final class TLSPeerCheck {
  let accepted: [TLSClientIdentity]
  /// "client certificate" (server side) or "certificate" (client side).
  let whose: String
  /// The first chain error the verification reported, if any.
  var chainError: String?
  /// Why the callback refused the peer's certificate, if it did.
  var refused: String?

  init(_ accepted: [TLSClientIdentity], whose: String) {
    self.accepted = accepted
    self.whose = whose
  }

  /// `SSL_verify_cb`: notes chain errors and goes on; decides at depth 0.
  static let verify: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
    guard let store, let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
      let data = SSL_get_ex_data(OpaquePointer(ssl), 0)
    else { return 0 }
    let check = Unmanaged<TLSPeerCheck>.fromOpaque(data).takeUnretainedValue()
    if preverified == 0, check.chainError == nil {
      let code = X509_STORE_CTX_get_error(store)
      check.chainError =
        X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
    }
    guard X509_STORE_CTX_get_error_depth(store) == 0 else { return 1 }
    guard let leaf = X509_STORE_CTX_get_current_cert(store), X509_up_ref(leaf) == 1 else { return 0 }
    let presented = TLSCertificate(owning: leaf).presented(chainError: check.chainError)
    if let refusal = check.refusal(of: presented) {
      check.refused = refusal
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED)
      return 0
    }
    return 1
  }

  /// Why `presented` is none of the accepted certificates; nil when it is one.
  func refusal(of presented: TLSPresentedCertificate) -> String? {
    var reasons: [String] = []
    for identity in self.accepted {
      guard let reason = identity.refusal(of: presented) else { return nil }
      reasons.append(reason)
    }
    if !self.accepted.contains(where: \.checksNames) {
      let pins = self.accepted.compactMap(\.fingerprintSHA256).sorted().joined(separator: ", ")
      return "\(self.whose) SHA-256 \(presented.fingerprintSHA256 ?? "none") is not the pinned \(pins)"
    }
    let subject = presented.subject.map { "\"\($0)\"" } ?? "without a subject"
    return "\(self.whose) \(subject) is not the interconnect's: \(reasons.joined(separator: "; "))"
  }
}
