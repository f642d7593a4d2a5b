import SIPCore

/// What a peer's certificate showed in a handshake: the values mutual TLS
/// compares with an interconnect's columns (`TLSClientIdentity`).
struct TLSPresentedCertificate: Sendable, Equatable {
  var fingerprintSHA256: String?
  var subject: DistinguishedName?
  var subjectAltNames: [SubjectAltName]
  /// Why its chain does not verify against `tls.ca_file`; nil when it does.
  var chainError: String?

  init(
    fingerprintSHA256: String?, subject: DistinguishedName? = nil, subjectAltNames: [SubjectAltName] = [],
    chainError: String? = nil
  ) {
    self.fingerprintSHA256 = fingerprintSHA256
    self.subject = subject
    self.subjectAltNames = subjectAltNames
    self.chainError = chainError
  }
}
