import SIPCore
import Testing

/// Migration 0025: the names an interconnect's client certificate must carry,
/// as the columns are written and as certificates carry them.
@Suite struct CertificateNameTests {
  @Test(arguments: [
    ("DNS:sbc.carrier.test", SubjectAltName.dns("sbc.carrier.test")),
    ("dns:SBC.Carrier.Test", .dns("sbc.carrier.test")),
    ("DNS:*.carrier.test", .dns("*.carrier.test")),
    ("URI:sip:sbc.carrier.test", .uri("sip:sbc.carrier.test")),
    ("IP:192.0.2.10", .ip("192.0.2.10")),
    ("IP:2001:DB8:0:0:0:0:0:10", .ip("2001:db8::10")),
  ])
  func subjectAltNamesNormalize(text: String, expected: SubjectAltName) throws {
    #expect(try SubjectAltName(text) == expected)
  }

  @Test(arguments: [
    "sbc.carrier.test", "DNS:", "DNS:bad_name.test", "DNS:-lead.test", "DNS:a..b", "email:a@b",
    "URI:no-scheme", "URI:sip:with space", "IP:999.1.1.1", "IP:sbc.carrier.test",
  ])
  func badSubjectAltNamesAreRefused(text: String) {
    #expect(throws: CertificateNameError.self) { try SubjectAltName(text) }
  }

  @Test func certificateIPBytesAreCanonical() {
    #expect(SubjectAltName.fromCertificate(ipBytes: [192, 0, 2, 10]) == .ip("192.0.2.10"))
    #expect(
      SubjectAltName.fromCertificate(
        ipBytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x10])
        == .ip("2001:db8::10"))
    #expect(SubjectAltName.fromCertificate(ipBytes: [1, 2, 3]) == nil)
  }

  @Test(arguments: [
    "CN=sbc.carrier.test", "CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB", "CN=a\\,b,O=x",
    "CN=a+serialNumber=7", "2.5.4.3=sbc",
  ])
  func subjectsInRFC2253FormAreAccepted(text: String) throws {
    #expect(try DistinguishedName(text).text == text)
  }

  @Test(arguments: [
    "", "sbc.carrier.test", "CN=a, O=b", "=x", "CN=a\nO=b", "/C=GB/CN=a", String(repeating: "x", count: 1030),
  ])
  func badSubjectsAreRefused(text: String) {
    #expect(throws: CertificateNameError.self) { try DistinguishedName(text) }
  }
}
