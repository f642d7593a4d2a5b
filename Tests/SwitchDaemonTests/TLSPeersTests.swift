import Policy
import SIPCore
import SIPTransport
import Testing

@testable import SwitchDaemon

/// Migration 0024: egress interconnects over TLS tell the transport layer what
/// their certificate must be.
@Suite struct TLSPeersTests {
  @Test func onlyEgressTLSInterconnectsWithANameOrAPinArePeers() {
    var named = Interconnect(
      id: "a", carrierID: "c", name: "named", direction: .egress, host: "192.0.2.1", sipPort: 5061,
      transport: .tls)
    named.tlsServerName = "sip.supplier.test"
    var pinned = Interconnect(
      id: "b", carrierID: "c", name: "pinned", direction: .egress, host: "192.0.2.2", sipPort: 5061,
      transport: .tls)
    pinned.tlsFingerprintSHA256 = String(repeating: "0f", count: 32)
    let plain = Interconnect(
      id: "d", carrierID: "c", name: "by address", direction: .egress, host: "192.0.2.3", transport: .tls)
    var udp = Interconnect(id: "e", carrierID: "c", name: "udp", direction: .egress, host: "192.0.2.4")
    udp.tlsServerName = "ignored.test"
    var ingress = Interconnect(
      id: "f", carrierID: "c", name: "in", direction: .ingress, host: "192.0.2.5", transport: .tls)
    ingress.tlsServerName = "ignored.test"

    let peers = TLSPeers.of([named, pinned, plain, udp, ingress])
    #expect(
      peers == [
        Endpoint(transport: .tls, host: "192.0.2.1", port: 5061): TLSPeer(serverName: "sip.supplier.test"),
        Endpoint(transport: .tls, host: "192.0.2.2", port: 5061): TLSPeer(
          fingerprintSHA256: String(repeating: "0f", count: 32)),
      ])
  }

  @Test func mutualTLSAsksTheSourcesOfIngressTLSInterconnectsWithAClientFingerprint() throws {
    let network = try #require(IPAddress("198.51.100.0"))
    var trunk = Interconnect(
      id: "t", carrierID: "c", name: "trunk", direction: .ingress, transport: .tls,
      addresses: [InterconnectAddress(match: .network(network, prefixLength: 24))])
    trunk.tlsClientFingerprintSHA256 = String(repeating: "1a", count: 32)
    var plain = trunk
    plain.id = "p"
    plain.transport = .tcp
    plain.tlsClientFingerprintSHA256 = String(repeating: "2b", count: 32)
    let required = TLSPeers.clientIdentities([trunk, plain])
    #expect(
      required(Endpoint(transport: .tls, host: "198.51.100.7", port: 40000)) == [
        TLSClientIdentity(fingerprintSHA256: String(repeating: "1a", count: 32))
      ])
    #expect(required(Endpoint(transport: .tls, host: "203.0.113.7", port: 40000)) == nil)
    #expect(required(Endpoint(transport: .tcp, host: "198.51.100.7", port: 40000)) == nil)
    #expect(
      TLSPeers.clientIdentities([plain])(Endpoint(transport: .tls, host: "198.51.100.7", port: 1)) == nil)
  }

  /// Migration 0025: the subject and subjectAltName of an interconnect's client
  /// certificate; several interconnects at one address: any one of them.
  @Test func mutualTLSByNameAsksForEachInterconnectsNames() throws {
    let network = try #require(IPAddress("198.51.100.0"))
    var named = Interconnect(
      id: "n", carrierID: "c", name: "named", direction: .ingress, transport: .tls,
      addresses: [InterconnectAddress(match: .network(network, prefixLength: 24))])
    named.tlsClientSubject = try DistinguishedName("CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB")
    named.tlsClientSubjectAltName = .dns("sbc.carrier.test")
    var other = named
    other.id = "o"
    other.tlsClientSubject = nil
    other.tlsClientSubjectAltName = .ip("198.51.100.7")
    var anonymous = named
    anonymous.id = "a"
    anonymous.tlsClientSubject = nil
    anonymous.tlsClientSubjectAltName = nil
    let required = TLSPeers.clientIdentities([named, other, anonymous])
    #expect(
      required(Endpoint(transport: .tls, host: "198.51.100.7", port: 5061)) == [
        TLSClientIdentity(subject: named.tlsClientSubject, subjectAltName: .dns("sbc.carrier.test")),
        TLSClientIdentity(subjectAltName: .ip("198.51.100.7")),
      ])
    #expect(
      TLSPeers.clientIdentities([anonymous])(Endpoint(transport: .tls, host: "198.51.100.7", port: 1)) == nil)
  }

  /// A named client certificate with no CA bundle can never match: the load warns.
  @Test func namesWithoutACABundleAreReported() throws {
    var named = Interconnect(id: "n", carrierID: "c", name: "carrier-a", direction: .ingress, transport: .tls)
    named.tlsClientSubjectAltName = .dns("sbc.carrier.test")
    var pinned = named
    pinned.name = "carrier-b"
    pinned.tlsClientSubjectAltName = nil
    pinned.tlsClientFingerprintSHA256 = String(repeating: "1a", count: 32)
    #expect(TLSPeers.namedWithoutCA([named, pinned], caFile: nil) == ["carrier-a"])
    #expect(TLSPeers.namedWithoutCA([named, pinned], caFile: "") == ["carrier-a"])
    #expect(TLSPeers.namedWithoutCA([named, pinned], caFile: "/etc/didtron-switch/tls/peers.pem").isEmpty)
  }
}
