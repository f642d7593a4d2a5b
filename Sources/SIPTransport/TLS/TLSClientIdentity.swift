import SIPCore

/// The client certificate an ingress interconnect must present (mutual TLS,
/// Migrations 0024 and 0025): each value that is set must match.
///
/// - `fingerprintSHA256`: exactly that certificate (SHA-256 of its DER),
///   whoever signed it.
/// - `subject`: the certificate's subject, in RFC 2253 form, exactly.
/// - `subjectAltName`: one of the certificate's subjectAltName entries.
///
/// A name (subject or subjectAltName) proves nothing unless a CA vouches for
/// it: with either set, the certificate's chain must also verify against
/// `tls.ca_file` (the server's CA bundle; without one no name matches).
public struct TLSClientIdentity: Sendable, Hashable, CustomStringConvertible {
  public var fingerprintSHA256: String?
  public var subject: DistinguishedName?
  public var subjectAltName: SubjectAltName?

  public init(
    fingerprintSHA256: String? = nil, subject: DistinguishedName? = nil, subjectAltName: SubjectAltName? = nil
  ) {
    self.fingerprintSHA256 = fingerprintSHA256?.lowercased()
    self.subject = subject
    self.subjectAltName = subjectAltName
  }

  /// Whether the certificate's names are checked (and so its chain).
  var checksNames: Bool { self.subject != nil || self.subjectAltName != nil }

  /// Why `presented` is not this identity's certificate; nil when it is.
  func refusal(of presented: TLSPresentedCertificate) -> String? {
    if let pinned = self.fingerprintSHA256, presented.fingerprintSHA256 != pinned {
      return "SHA-256 \(presented.fingerprintSHA256 ?? "none") is not the pinned \(pinned)"
    }
    if self.checksNames, let error = presented.chainError {
      return "its chain does not verify against tls.ca_file (\(error))"
    }
    var wrong: [String] = []
    if let subject = self.subject, presented.subject != subject {
      wrong.append("subject \"\(presented.subject?.text ?? "")\" is not \"\(subject)\"")
    }
    if let name = self.subjectAltName, !presented.subjectAltNames.contains(name) {
      wrong.append("it has no subjectAltName \(name)")
    }
    return wrong.isEmpty ? nil : wrong.joined(separator: ", ")
  }

  public var description: String {
    var parts: [String] = []
    if let fingerprint = self.fingerprintSHA256 { parts.append("SHA-256 \(fingerprint)") }
    if let subject = self.subject { parts.append("subject \"\(subject)\"") }
    if let name = self.subjectAltName { parts.append("subjectAltName \(name)") }
    return parts.isEmpty ? "any certificate" : parts.joined(separator: ", ")
  }
}
