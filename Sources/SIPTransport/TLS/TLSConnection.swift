import COpenSSL
import NIOCore

/// Owns one OpenSSL `SSL` and its two memory BIOs: ciphertext from the network
/// is written into the read BIO, ciphertext to send is drained from the write
/// BIO. Nothing here touches a socket or blocks: every call returns what OpenSSL
/// needs next. Used on one event loop only.
final class TLSConnection {
  /// What a handshake, read or write step came to.
  enum Step {
    /// The handshake finished, or the write was taken whole.
    case done
    /// More ciphertext from the peer is needed.
    case wantRead
    /// The peer sent close_notify.
    case closed
    case failed(TLSError)
  }

  enum ReadResult {
    /// Plaintext was appended to the buffer.
    case data
    case wantRead
    case closed
    case failed(TLSError)
  }

  private let ssl: OpaquePointer
  /// The certificates one of which the peer must present: the server's pinned
  /// certificate (client side), or the client certificates of the
  /// interconnects at the peer's address (server side, mutual TLS: by
  /// fingerprint, subject or subjectAltName). Nil: no such check. Checked by
  /// the verify callback within the handshake (in TLS 1.2 before the server's
  /// Finished, so neither side completes; set as the `SSL`'s app data), and
  /// again once it is done (a resumed session).
  private let check: TLSPeerCheck?
  /// Owned by `ssl` (SSL_set_bio); kept to feed and drain them.
  private let networkIn: OpaquePointer
  private let networkOut: OpaquePointer

  init(
    context: OpaquePointer, role: TLSContext.Role, serverName: String?, resuming session: TLSSession? = nil,
    accepted: [TLSClientIdentity]? = nil
  ) throws(TLSError) {
    ERR_clear_error()
    guard let ssl = SSL_new(context) else { throw TLSError.fromQueue(.configuration, "SSL_new failed") }
    guard let networkIn = BIO_new(BIO_s_mem()), let networkOut = BIO_new(BIO_s_mem()) else {
      SSL_free(ssl)
      throw TLSError.fromQueue(.configuration, "BIO_new failed")
    }
    didtron_BIO_set_mem_eof_return(networkIn, -1)
    didtron_BIO_set_mem_eof_return(networkOut, -1)
    SSL_set_bio(ssl, networkIn, networkOut)
    self.ssl = ssl
    self.networkIn = networkIn
    self.networkOut = networkOut
    self.check = accepted.map {
      TLSPeerCheck($0, whose: role == .server ? "client certificate" : "certificate")
    }
    if let check { _ = SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(check).toOpaque()) }
    switch role {
    case .server:
      SSL_set_accept_state(ssl)
      if accepted != nil {
        // Mutual TLS: a client certificate is required; which one is checked
        // in the handshake (the callback) and again once it is done
        // (`handshake()`, a resumed session): by fingerprint whoever signed
        // it, by name only if its chain verified against tls.ca_file.
        SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, TLSPeerCheck.verify)
      }
    case .client:
      SSL_set_connect_state(ssl)
      if let session { _ = SSL_set_session(ssl, session.session) }
      // A pinned certificate stands for the CA chain and the name: checked in
      // the handshake and once it is done, as on the server side.
      if accepted != nil { SSL_set_verify(ssl, SSL_VERIFY_PEER, TLSPeerCheck.verify) }
      if let serverName {
        let isAddress = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        // RFC 6066 §3: SNI carries host names only, never an IP literal.
        if !isAddress { _ = didtron_SSL_set_tlsext_host_name(ssl, serverName) }
        guard accepted != nil || SSL_set1_host(ssl, serverName) == 1 else {
          throw TLSError.fromQueue(.configuration, "cannot verify the name \(serverName)")
        }
      }
    }
  }

  deinit {
    SSL_free(self.ssl)
  }

  /// Hands ciphertext read from the network to OpenSSL.
  func feed(_ bytes: ByteBuffer) {
    bytes.withUnsafeReadableBytes { raw in
      guard let base = raw.baseAddress, raw.count > 0 else { return }
      // A memory BIO grows as needed; it fails only when out of memory.
      _ = BIO_write(self.networkIn, base, Int32(raw.count))
    }
  }

  /// Ciphertext OpenSSL wants sent, if any.
  func drainOutput(allocator: ByteBufferAllocator) -> ByteBuffer? {
    let pending = BIO_ctrl_pending(self.networkOut)
    guard pending > 0 else { return nil }
    var buffer = allocator.buffer(capacity: pending)
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { raw in
      Int(max(0, BIO_read(self.networkOut, raw.baseAddress, Int32(pending))))
    }
    return buffer
  }

  func handshake() -> Step {
    ERR_clear_error()
    let result = SSL_do_handshake(self.ssl)
    guard result == 1 else { return self.step(result, .handshake) }
    if let check = self.check, let refusal = check.refusal(of: self.presentedCertificate) {
      return .failed(TLSError(.handshake, refusal))
    }
    return .done
  }

  /// The peer's certificate as mutual TLS compares it (no certificate: all nil).
  var presentedCertificate: TLSPresentedCertificate {
    guard let certificate = SSL_get1_peer_certificate(self.ssl).map(TLSCertificate.init(owning:)) else {
      return TLSPresentedCertificate(fingerprintSHA256: nil, chainError: "no certificate")
    }
    let verify = SSL_get_verify_result(self.ssl)
    var chainError: String?
    if verify != X509_V_OK {
      chainError = X509_verify_cert_error_string(verify).map { String(cString: $0) } ?? "error \(verify)"
    }
    return certificate.presented(chainError: chainError)
  }

  /// Appends the plaintext OpenSSL can decrypt now (at most one record's worth).
  func read(into buffer: inout ByteBuffer) -> ReadResult {
    ERR_clear_error()
    var result: Int32 = 0
    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 16_384) { raw in
      result = SSL_read(self.ssl, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
      return result > 0 ? Int(result) : 0
    }
    guard result <= 0 else { return .data }
    switch self.step(result, .connection) {
    case .done, .wantRead: return .wantRead
    case .closed: return .closed
    case .failed(let error): return .failed(error)
    }
  }

  /// Encrypts all of `bytes` (a memory BIO never pushes back).
  func write(_ bytes: ByteBuffer) -> Step {
    guard bytes.readableBytes > 0 else { return .done }
    ERR_clear_error()
    let result = bytes.withUnsafeReadableBytes { raw in
      SSL_write(self.ssl, raw.baseAddress, Int32(raw.count))
    }
    return result > 0 ? .done : self.step(result, .connection)
  }

  /// Queues our close_notify (drain the output to send it).
  func shutdown() {
    ERR_clear_error()
    _ = SSL_shutdown(self.ssl)
    ERR_clear_error()
  }

  private func step(_ result: Int32, _ kind: TLSError.Kind) -> Step {
    let code = SSL_get_error(self.ssl, result)
    switch code {
    case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
      return .wantRead
    case SSL_ERROR_ZERO_RETURN:
      return .closed
    case SSL_ERROR_SYSCALL:
      return .failed(TLSError.fromQueue(kind, "unexpected end of stream"))
    default:
      var message = "SSL error \(code)"
      let verify = SSL_get_verify_result(self.ssl)
      if let refused = self.check?.refused {
        message = refused
      } else if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
        message = "certificate verify failed (\(String(cString: text)))"
      }
      return .failed(TLSError.fromQueue(kind, message))
    }
  }

  // MARK: - What was negotiated

  /// `TLSv1.3`, `TLSv1.2`.
  var protocolVersion: String { String(cString: SSL_get_version(self.ssl)) }

  var cipher: String {
    guard let cipher = SSL_get_current_cipher(self.ssl), let name = SSL_CIPHER_get_name(cipher) else {
      return ""
    }
    return String(cString: name)
  }

  /// The session to resume next time (client side), once there is a resumable one.
  var session: TLSSession? {
    guard let session = SSL_get1_session(self.ssl) else { return nil }
    let owned = TLSSession(owning: session)
    return owned.isResumable ? owned : nil
  }

  /// Whether the handshake resumed an earlier session.
  var sessionReused: Bool { SSL_session_reused(self.ssl) == 1 }

  /// The SNI name the client sent (server side).
  var serverName: String? {
    guard let name = SSL_get_servername(self.ssl, TLSEXT_NAMETYPE_host_name) else { return nil }
    return String(cString: name)
  }
}
