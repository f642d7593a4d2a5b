/// A certificate's subject as one string in the RFC 4514 (RFC 2253) form
/// OpenSSL prints with `openssl x509 -noout -subject -nameopt RFC2253`: the
/// most specific attribute first, comma-separated, no spaces around the
/// commas, e.g. `CN=sbc.carrier.example,O=Carrier Ltd,C=GB`.
///
/// An interconnect's `tls_client_subject` is compared with the client
/// certificate's subject in that form, exactly (case included): copy it from
/// that command's output, without the `subject=` in front.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
  public let text: String

  public static let maxLength = 1024

  /// Checks the form: `TYPE=value` pairs (TYPE letters, digits and `-`, or a
  /// dotted OID), no control characters, no space after a separating comma.
  public init(_ text: String) throws(CertificateNameError) {
    guard !text.isEmpty, text.utf8.count <= Self.maxLength else {
      throw CertificateNameError("a subject is 1 to \(Self.maxLength) bytes, not \(text.utf8.count)")
    }
    guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
      throw CertificateNameError("\"\(text)\" has a control character")
    }
    for attribute in Self.attributes(text) {
      guard let equals = attribute.firstIndex(of: "="), equals != attribute.startIndex,
        attribute[..<equals].allSatisfy({
          $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".")
        }),
        attribute.first?.isLetter == true || attribute.first?.isNumber == true
      else {
        throw CertificateNameError(
          "\"\(text)\" is not a subject in RFC 2253 form (TYPE=value,TYPE=value, as `openssl x509 -noout "
            + "-subject -nameopt RFC2253` prints it)")
      }
    }
    self.text = text
  }

  /// A subject as OpenSSL rendered it from a certificate (not checked).
  public init(certificate text: String) {
    self.text = text
  }

  public var description: String { text }

  /// The attributes, split at the commas that are not escaped with `\`.
  static func attributes(_ text: String) -> [Substring] {
    var parts: [Substring] = []
    var start = text.startIndex
    var escaped = false
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      if escaped {
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else if character == "," || character == "+" {
        parts.append(text[start..<index])
        start = text.index(after: index)
      }
      index = text.index(after: index)
    }
    parts.append(text[start...])
    return parts
  }
}
