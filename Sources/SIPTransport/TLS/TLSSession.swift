import COpenSSL

/// Owns one OpenSSL `SSL_SESSION`: what a client keeps of a finished handshake
/// to resume it on its next connection to the same server (RFC 8446 §2.2,
/// RFC 5077 tickets). Immutable; may move between threads.
final class TLSSession: @unchecked Sendable {
  let session: OpaquePointer

  /// Takes over one reference (from `SSL_get1_session`).
  init(owning session: OpaquePointer) {
    self.session = session
  }

  deinit {
    SSL_SESSION_free(self.session)
  }

  /// Whether OpenSSL would offer it (TLS 1.3 sessions without a ticket are not).
  var isResumable: Bool { SSL_SESSION_is_resumable(self.session) == 1 }
}
