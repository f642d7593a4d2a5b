import SIPCore
import Testing

@testable import Proxy

/// The registrar's rules (RFC 3261 §10.3) on a manual clock.
@Suite struct RegistrarTests {
  static let phone = Endpoint(transport: .udp, host: "192.0.2.10", port: 40_000)

  static func registrar(_ configure: (inout RegistrarConfiguration) -> Void = { _ in }) -> Registrar {
    var configuration = RegistrarConfiguration(domains: ["example.com"])
    configure(&configuration)
    return Registrar(configuration: configuration)
  }

  static func request(
    to: String = "<sip:alice@example.com>", contacts: [String], expires: Int? = nil, callID: String = "c1",
    cseq: UInt32 = 1
  ) -> Registrar.Request {
    Registrar.Request(
      requestURI: "sip:example.com", to: to, contacts: contacts, expires: expires, callID: callID, cseq: cseq,
      source: phone)
  }

  static func bindings(_ outcome: Registrar.Outcome) -> [Registrar.Binding]? {
    if case .registered(_, let bindings) = outcome { return bindings }
    return nil
  }

  static func refusal(_ outcome: Registrar.Outcome) -> Refusal? {
    if case .refused(let refusal) = outcome { return refusal }
    return nil
  }

  @Test(arguments: [
    ("sip:alice@Example.COM:5060;transport=udp?x=y", "sip:alice@example.com"),
    ("SIPS:bob:secret@host.example", "sips:bob@host.example"),
    ("sip:null-%00-null@example.com", "sip:null-%00-null@example.com"),
    ("sip:[2001:DB8::1]:5070", "sip:[2001:db8::1]"),
    ("sip:example.com", "sip:example.com"),
  ])
  func addressesOfRecord(uri: String, aor: String) {
    #expect(Registrar.addressOfRecord(uri) == aor)
  }

  @Test func otherSchemesAreNoAddressOfRecord() {
    #expect(Registrar.addressOfRecord("isbn:2983792873") == nil)
    #expect(Registrar.addressOfRecord("tel:+15551234") == nil)
    #expect(Registrar.addressOfRecord("sip:") == nil)
  }

  @Test func registerRefreshQueryAndRemove() throws {
    let registrar = Self.registrar()
    let first = try #require(
      Self.bindings(registrar.register(Self.request(contacts: ["<sip:alice@192.0.2.10:40000>"]), nowMs: 0)))
    #expect(first.map(\.contact) == ["sip:alice@192.0.2.10:40000"])
    #expect(first.first?.expiresAtMs == 3_600_000)
    #expect(first.first?.source == Self.phone)
    // A refresh with a higher CSeq and an expires parameter.
    let refreshed = try #require(
      Self.bindings(
        registrar.register(
          Self.request(contacts: ["<sip:alice@192.0.2.10:40000>;expires=120"], cseq: 2), nowMs: 10_000)))
    #expect(refreshed.first?.expiresAtMs == 130_000)
    #expect(Registrar.contactValues(refreshed, nowMs: 10_000) == ["<sip:alice@192.0.2.10:40000>;expires=120"])
    // A query (no Contact) changes nothing.
    #expect(
      Self.bindings(registrar.register(Self.request(contacts: [], cseq: 3), nowMs: 20_000)) == refreshed)
    // Expires: 0 removes it.
    let removed = registrar.register(
      Self.request(contacts: ["<sip:alice@192.0.2.10:40000>"], expires: 0, cseq: 4), nowMs: 30_000)
    #expect(Self.bindings(removed) == [])
    #expect(registrar.bindingCount == 0)
  }

  @Test func bindingsExpireAndLookupsOrderByQ() {
    let registrar = Self.registrar()
    _ = registrar.register(
      Self.request(contacts: ["<sip:a@h1>;q=0.5;expires=60", "<sip:a@h2>;q=1", "sip:a@h3;expires=600"]),
      nowMs: 0)
    #expect(
      registrar.lookup("sip:alice@example.com;user=phone", nowMs: 59_999).map(\.contact) == [
        "sip:a@h2", "sip:a@h3", "sip:a@h1",
      ])
    #expect(
      registrar.lookup("sip:alice@EXAMPLE.com", nowMs: 60_000).map(\.contact) == ["sip:a@h2", "sip:a@h3"])
    #expect(registrar.lookup("sip:bob@example.com", nowMs: 0).isEmpty)
    #expect(
      Registrar.contactValues(registrar.lookup("sip:alice@example.com", nowMs: 100_000), nowMs: 100_000) == [
        "<sip:a@h2>;expires=3500;q=1", "<sip:a@h3>;expires=500",
      ])
  }

  @Test func theWildcardRemovesEverythingOnlyWithExpiresZero() {
    let registrar = Self.registrar()
    _ = registrar.register(Self.request(contacts: ["<sip:a@h1>", "<sip:a@h2>"]), nowMs: 0)
    #expect(Self.refusal(registrar.register(Self.request(contacts: ["*"], cseq: 2), nowMs: 0))?.status == 400)
    #expect(
      Self.refusal(
        registrar.register(Self.request(contacts: ["*", "<sip:a@h3>"], expires: 0, cseq: 2), nowMs: 0))?
        .status == 400)
    #expect(registrar.bindingCount == 2)
    #expect(
      Self.bindings(registrar.register(Self.request(contacts: ["*"], expires: 0, cseq: 3), nowMs: 0)) == [])
    #expect(registrar.bindingCount == 0)
  }

  @Test func refusalsChangeNothing() {
    let registrar = Self.registrar { $0.maxContacts = 2 }
    _ = registrar.register(Self.request(contacts: ["<sip:a@h1>"], cseq: 5), nowMs: 0)
    let brief = Self.refusal(
      registrar.register(Self.request(contacts: ["<sip:a@h2>;expires=30"], cseq: 6), nowMs: 0))
    #expect(brief?.status == 423)
    #expect(brief?.headers == [HeaderField("Min-Expires", "60")])
    let stale = Self.refusal(registrar.register(Self.request(contacts: ["<sip:a@h1>"], cseq: 5), nowMs: 0))
    #expect(stale?.status == 400)
    #expect(stale?.reason == "CSeq Out Of Order")
    let many = Self.refusal(
      registrar.register(Self.request(contacts: ["<sip:a@h2>", "<sip:a@h3>"], cseq: 7), nowMs: 0))
    #expect(many?.status == 403)
    #expect(
      Self.refusal(
        registrar.register(Self.request(to: "isbn:2983792873", contacts: ["<sip:a@h9>"]), nowMs: 0))?
        .status == 400)
    #expect(
      Self.refusal(
        registrar.register(
          Self.request(to: "sip:alice@elsewhere.example", contacts: ["<sip:a@h9>"]), nowMs: 0))?
        .status == 404)
    #expect(registrar.lookup("sip:alice@example.com", nowMs: 0).map(\.contact) == ["sip:a@h1"])
  }

  @Test func longExpiriesAreCutToTheMaximum() {
    let registrar = Self.registrar { $0.maxExpiresSeconds = 600 }
    let bindings = Self.bindings(
      registrar.register(Self.request(contacts: ["<sip:a@h1>"], expires: 99_999), nowMs: 0))
    #expect(bindings?.first?.expiresAtMs == 600_000)
  }

  @Test func qValuesReadAndWrite() {
    #expect(Registrar.thousandths("0.5") == 500)
    #expect(Registrar.thousandths("1") == 1000)
    #expect(Registrar.thousandths("0.125") == 125)
    #expect(Registrar.thousandths("1.5") == nil)
    #expect(Registrar.thousandths("0.1234") == nil)
    #expect(Registrar.qText(500) == "0.5")
    #expect(Registrar.qText(125) == "0.125")
    #expect(Registrar.qText(1000) == "1")
    #expect(Registrar.qText(0) == "0.0")
  }

  @Test func theDateHeaderIsRFC1123() {
    #expect(HTTPDate.text(unixMs: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    #expect(HTTPDate.text(unixMs: 1_289_690_940_000) == "Sat, 13 Nov 2010 23:29:00 GMT")
    #expect(HTTPDate.text(unixMs: 1_796_238_271_326) == "Wed, 02 Dec 2026 19:04:31 GMT")
  }
}
