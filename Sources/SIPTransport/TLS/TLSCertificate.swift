import COpenSSL
import SIPCore

/// Owns one OpenSSL `X509`: a peer's certificate, read for what it names
/// (mutual TLS: the SHA-256, the subject, the subjectAltName entries).
final class TLSCertificate {
  private let certificate: OpaquePointer

  /// Takes ownership of `certificate` (one reference, freed on deinit).
  init(owning certificate: OpaquePointer) {
    self.certificate = certificate
  }

  deinit {
    X509_free(self.certificate)
  }

  /// SHA-256 of the certificate (DER), lower-case hex.
  var fingerprintSHA256: String? {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard X509_digest(self.certificate, EVP_sha256(), &digest, &length) == 1 else { return nil }
    return digest.prefix(Int(length)).map { byte in
      let hex = String(byte, radix: 16)
      return byte < 16 ? "0" + hex : hex
    }.joined()
  }

  /// The subject in RFC 2253 form (`CN=...,O=...`), as `openssl x509
  /// -noout -subject -nameopt RFC2253` prints it.
  var subject: DistinguishedName? {
    guard let name = X509_get_subject_name(self.certificate), let bio = BIO_new(BIO_s_mem()) else {
      return nil
    }
    defer { BIO_free(bio) }
    guard X509_NAME_print_ex(bio, name, 0, didtron_XN_FLAG_RFC2253()) >= 0 else { return nil }
    let pending = BIO_ctrl_pending(bio)
    var bytes = [UInt8](repeating: 0, count: pending)
    let read = BIO_read(bio, &bytes, Int32(pending))
    return DistinguishedName(certificate: String(decoding: bytes.prefix(Int(max(0, read))), as: UTF8.self))
  }

  /// The DNS, URI and IP entries of its subjectAltName, normalized
  /// (`SubjectAltName`); other kinds are left out.
  var subjectAltNames: [SubjectAltName] {
    guard let names = didtron_X509_subject_alt_names(self.certificate) else { return [] }
    defer { GENERAL_NAMES_free(names) }
    var entries: [SubjectAltName] = []
    for index in 0..<didtron_GENERAL_NAMES_count(names) {
      var data: UnsafePointer<UInt8>?
      var length: Int32 = 0
      let kind = didtron_GENERAL_NAMES_entry(names, index, &data, &length)
      guard kind >= 0, let data, length >= 0 else { continue }
      let bytes = Array(UnsafeBufferPointer(start: data, count: Int(length)))
      let entry: SubjectAltName? =
        switch kind {
        case didtron_GEN_DNS(): .fromCertificate(dns: String(decoding: bytes, as: UTF8.self))
        case didtron_GEN_URI(): .fromCertificate(uri: String(decoding: bytes, as: UTF8.self))
        case didtron_GEN_IPADD(): .fromCertificate(ipBytes: bytes)
        default: nil
        }
      if let entry { entries.append(entry) }
    }
    return entries
  }

  /// What mutual TLS compares; `chainError`: why its chain did not verify.
  func presented(chainError: String?) -> TLSPresentedCertificate {
    TLSPresentedCertificate(
      fingerprintSHA256: self.fingerprintSHA256, subject: self.subject, subjectAltNames: self.subjectAltNames,
      chainError: chainError)
  }
}
