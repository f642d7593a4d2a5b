import Glibc

/// One subjectAltName entry of an X.509 certificate (RFC 5280 §4.2.1.6), of
/// the three kinds a SIP peer's certificate carries (RFC 5922 §7.1): a DNS
/// name, a URI (`sip:sbc.carrier.example`), an IP address. Written
/// `DNS:name`, `URI:uri`, `IP:address`, as `openssl x509 -ext subjectAltName`
/// prints them.
///
/// Compared exactly after normalizing: DNS names in lower case (a wildcard
/// entry `*.carrier.example` is one literal name, not a pattern), URIs as
/// written, IP addresses in their canonical text (`2001:db8::10`).
public enum SubjectAltName: Sendable, Hashable, CustomStringConvertible {
  case dns(String)
  case uri(String)
  case ip(String)

  /// Longest entry accepted (a DNS name is at most 253 octets; a URI is kept short).
  public static let maxLength = 1024

  /// Parses `DNS:name`, `URI:uri` or `IP:address` (the prefix in any case).
  public init(_ text: String) throws(CertificateNameError) {
    guard let colon = text.firstIndex(of: ":") else {
      throw CertificateNameError("\"\(text)\" is not DNS:name, URI:uri or IP:address")
    }
    let value = String(text[text.index(after: colon)...])
    switch text[..<colon].uppercased() {
    case "DNS": self = try .dns(Self.dnsName(value))
    case "URI": self = try .uri(Self.uriValue(value))
    case "IP", "IP ADDRESS":
      guard let canonical = Self.canonicalIP(value) else {
        throw CertificateNameError("\"\(value)\" is not an IPv4 or IPv6 address")
      }
      self = .ip(canonical)
    default:
      throw CertificateNameError("\"\(text)\" is not DNS:name, URI:uri or IP:address")
    }
  }

  /// An entry as a certificate carries it (`value` as the certificate has it):
  /// nil when it does not normalize (such an entry matches nothing).
  public static func fromCertificate(dns value: String) -> SubjectAltName? {
    (try? dnsName(value)).map { .dns($0) }
  }

  public static func fromCertificate(uri value: String) -> SubjectAltName? {
    (try? uriValue(value)).map { .uri($0) }
  }

  /// `bytes`: 4 or 16 octets (the certificate's iPAddress).
  public static func fromCertificate(ipBytes bytes: [UInt8]) -> SubjectAltName? {
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let family = bytes.count == 4 ? AF_INET : bytes.count == 16 ? AF_INET6 : -1
    guard family != -1, inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return nil }
    return .ip(String(cString: text))
  }

  public var description: String {
    switch self {
    case .dns(let name): "DNS:\(name)"
    case .uri(let uri): "URI:\(uri)"
    case .ip(let address): "IP:\(address)"
    }
  }

  private static func dnsName(_ value: String) throws(CertificateNameError) -> String {
    let name = value.lowercased()
    let labels = name.split(separator: ".", omittingEmptySubsequences: false)
    let valid =
      !name.isEmpty && name.utf8.count <= 253
      && labels.enumerated().allSatisfy { index, label in
        // A leading `*` label (a wildcard entry) is a name like any other here.
        (index == 0 && label == "*")
          || (!label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
            && label.utf8.allSatisfy { Self.isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
      }
    guard valid else { throw CertificateNameError("\"\(value)\" is not a DNS name") }
    return name
  }

  private static func uriValue(_ value: String) throws(CertificateNameError) -> String {
    guard let colon = value.firstIndex(of: ":"), colon != value.startIndex,
      value.utf8.count <= maxLength,
      value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
    else {
      throw CertificateNameError("\"\(value)\" is not a URI (scheme:rest, printable ASCII, no spaces)")
    }
    return value
  }

  private static func canonicalIP(_ value: String) -> String? {
    var v4 = in_addr()
    if inet_pton(AF_INET, value, &v4) == 1 {
      return withUnsafeBytes(of: &v4) { fromCertificate(ipBytes: Array($0)) }?.address
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, value, &v6) == 1 {
      return withUnsafeBytes(of: &v6) { fromCertificate(ipBytes: Array($0)) }?.address
    }
    return nil
  }

  private var address: String? {
    if case .ip(let address) = self { return address }
    return nil
  }

  private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
      || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
  }
}
