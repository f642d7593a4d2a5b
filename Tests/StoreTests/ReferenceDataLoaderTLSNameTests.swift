import Policy
import SIPCore
import Testing

@testable import Store

/// Migration 0025: an ingress interconnect's client certificate named by its
/// subject or a subjectAltName entry; values the loader cannot use are refused
/// at load, naming the row.
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct ReferenceDataLoaderTLSNameTests {
  static let ingressID = "00000000-0000-4000-8000-000000000011"

  @Test func readsTheClientCertificateNames() throws {
    try TestDatabase.with { database in
      try ReferenceDataLoaderTests.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      var data = try ReferenceDataLoader().load(from: connection)
      var ingress = try #require(data.interconnects.first { $0.id == Self.ingressID })
      #expect(ingress.tlsClientSubject == nil && ingress.tlsClientSubjectAltName == nil)
      #expect(!ingress.requiresClientCertificate)
      try connection.query(
        """
        UPDATE carrier_interconnects SET transport = 'tls',
          tls_client_subject = 'CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB', tls_client_san = 'IP:2001:DB8::0:10'
        WHERE id = \(Self.ingressID)
        """)
      data = try ReferenceDataLoader().load(from: connection)
      ingress = try #require(data.interconnects.first { $0.id == Self.ingressID })
      #expect(ingress.tlsClientSubject?.text == "CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB")
      #expect(ingress.tlsClientSubjectAltName == .ip("2001:db8::10"))
      #expect(ingress.requiresClientCertificate)
      try connection.query(
        "UPDATE carrier_interconnects SET tls_client_san = 'DNS:SBC.Carrier.test' WHERE id = \(Self.ingressID)"
      )
      data = try ReferenceDataLoader().load(from: connection)
      ingress = try #require(data.interconnects.first { $0.id == Self.ingressID })
      #expect(ingress.tlsClientSubjectAltName == .dns("sbc.carrier.test"))
    }
  }

  /// Values the schema lets through but the loader cannot match.
  @Test(arguments: [
    ("tls_client_san", "IP:999.0.2.10"), ("tls_client_san", "DNS:bad_name.test"),
    ("tls_client_san", "URI:sip:with space"), ("tls_client_subject", "CN=a, O=b"),
    ("tls_client_subject", "/C=GB/CN=sbc.carrier.test"),
  ])
  func aBadNameFailsTheLoadAndNamesTheRow(column: String, value: String) throws {
    try ReferenceDataLoaderTests.expectLoadFails(
      afterRunning: "UPDATE carrier_interconnects SET \(column) = '\(value)' WHERE id = '\(Self.ingressID)'",
      naming: "carrier_interconnects row \(Self.ingressID): \(column):")
  }

  /// Values the schema itself refuses.
  @Test(arguments: [
    "tls_client_san = 'email:noc@carrier.test'", "tls_client_san = 'DNS:'", "tls_client_subject = 'x'",
    "tls_client_subject = 'no equals sign'",
  ])
  func theSchemaRefusesNamesOfNoKnownForm(assignment: String) throws {
    try TestDatabase.with { database in
      try ReferenceDataLoaderTests.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      let sql = "UPDATE carrier_interconnects SET \(assignment) WHERE id = '\(Self.ingressID)'"
      #expect(throws: PGError.self) { try connection.execute(script: sql) }
    }
  }
}
