import Glibc
import NIOCore
import SIPCore
import Testing

@testable import SIPTransport

/// Issue 20: `tls:` listeners and TLS sends through the transport layer, over
/// loopback sockets: one layer listens with the test certificate, another
/// sends to it and verifies that certificate against the test CA.
@Suite struct TLSTransportTests {
  static func server() throws -> Harness {
    Harness(
      tls: try TLSContextStore(
        configuration: TLSConfiguration(
          certificateFile: TestCertificates.path("server.pem"),
          privateKeyFile: TestCertificates.path("server.key"))))
  }

  static func client(caFile: String = TestCertificates.path("ca.pem")) throws -> Harness {
    Harness(tls: try TLSContextStore(configuration: TLSConfiguration(caFile: caFile)))
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func aRequestAndItsResponseGoOverOneTLSConnection(host: String) async throws {
    let server = try Self.server()
    let client = try Self.client()
    let listener = try await server.layer.bind([Endpoint(transport: .tls, host: host, port: 0)])[0]
    #expect(listener.transport == .tls)

    client.layer.send(ByteBuffer(string: sipMessage("OPTIONS")), to: listener)
    let request = try await server.messages.next()
    #expect(String(buffer: request.bytes) == sipMessage("OPTIONS"))
    #expect(request.source.transport == .tls)
    #expect(request.local == listener)

    // The answer goes back over the connection the request came on.
    server.layer.send(ByteBuffer(string: sipMessage("SIP/2.0")), to: request.source)
    let response = try await client.messages.next()
    #expect(String(buffer: response.bytes) == sipMessage("SIP/2.0"))
    #expect(response.source == listener)
    #expect(server.layer.counters.tlsHandshakes == 1)
    #expect(client.layer.counters.tlsHandshakes == 1)
    #expect(client.layer.counters.tcpConnectionsConnected == 1)
    try await client.close()
    try await server.close()
  }

  @Test func aServerCertificateFromAnUntrustedCAIsASendFailure() async throws {
    let server = try Self.server()
    let client = try Self.client(caFile: TestCertificates.path("other.pem"))
    let listener = try await server.layer.bind([Endpoint(transport: .tls, host: "127.0.0.1", port: 0)])[0]
    client.layer.send(ByteBuffer(string: sipMessage("OPTIONS")), to: listener)
    #expect(try await client.sendFailures.next() == listener)
    #expect(client.layer.counters.tlsHandshakeFailures == 1)
    try await client.close()
    try await server.close()
  }

  @Test func aRenewedCertificateServesNewHandshakesOnly() async throws {
    let server = try Self.server()
    let listener = try await server.layer.bind([Endpoint(transport: .tls, host: "127.0.0.1", port: 0)])[0]
    let first = server.layer.tls?.certificateNotAfter
    // A bad file: the running certificate stays.
    let now = Int64(time(nil))
    #expect(throws: TLSError.self) {
      try server.layer.tls?.reload(
        TLSConfiguration(certificateFile: "/nonexistent.pem", privateKeyFile: "/x"), nowUnix: now)
    }
    #expect(server.layer.tls?.certificateNotAfter == first)
    // An expired one (the old file left in place): refused, the running one stays.
    let expired = TLSConfiguration(
      certificateFile: TestCertificates.path("expired.pem"),
      privateKeyFile: TestCertificates.path("expired.key"))
    #expect(throws: TLSError.self) { try server.layer.tls?.reload(expired, nowUnix: now) }
    #expect(server.layer.tls?.certificateNotAfter == first)
    // The renewal: another certificate (the untrusted one), for new handshakes.
    try server.layer.tls?.reload(
      TLSConfiguration(
        certificateFile: TestCertificates.path("other.pem"),
        privateKeyFile: TestCertificates.path("other.key")), nowUnix: now)
    let client = try Self.client()
    client.layer.send(ByteBuffer(string: sipMessage("OPTIONS")), to: listener)
    #expect(try await client.sendFailures.next() == listener)
    try await client.close()
    try await server.close()
  }

  /// Mutual TLS through the layer: a source that must present a client
  /// certificate is served with it, and gets nothing through without it.
  @Test func aSourceThatMustPresentAClientCertificate() async throws {
    let server = try Self.server()
    server.layer.tls?.setClientIdentities { source in
      source.host == "127.0.0.1"
        ? [TLSClientIdentity(fingerprintSHA256: TLSHandlerTests.otherFingerprint)] : nil
    }
    let listener = try await server.layer.bind([Endpoint(transport: .tls, host: "127.0.0.1", port: 0)])[0]

    let anonymous = try Self.client()
    anonymous.layer.send(ByteBuffer(string: sipMessage("INVITE")), to: listener)
    let identified = Harness(
      tls: try TLSContextStore(
        configuration: TLSConfiguration(
          certificateFile: TestCertificates.path("other.pem"),
          privateKeyFile: TestCertificates.path("other.key"),
          caFile: TestCertificates.path("ca.pem"))))
    identified.layer.send(ByteBuffer(string: sipMessage("OPTIONS")), to: listener)

    // Only the identified client's message arrives.
    let request = try await server.messages.next()
    #expect(String(buffer: request.bytes) == sipMessage("OPTIONS"))
    #expect(server.layer.counters.tlsHandshakes == 1)
    #expect(server.layer.counters.tlsHandshakeFailures == 1)
    try await identified.close()
    try await anonymous.close()
    try await server.close()
  }

  /// An egress interconnect's pinned certificate (`TLSPeer`): accepted whoever
  /// signed it; without the pin the same server is refused.
  @Test func aPinnedServerCertificateIsReachedThroughTheLayer() async throws {
    let server = Harness(
      tls: try TLSContextStore(
        configuration: TLSConfiguration(
          certificateFile: TestCertificates.path("other.pem"),
          privateKeyFile: TestCertificates.path("other.key"))))
    let listener = try await server.layer.bind([Endpoint(transport: .tls, host: "127.0.0.1", port: 0)])[0]
    let client = try Self.client()
    client.layer.tls?.setPeers([
      listener: TLSPeer(fingerprintSHA256: TLSHandlerTests.otherFingerprint.uppercased())
    ])
    client.layer.send(ByteBuffer(string: sipMessage("OPTIONS")), to: listener)
    #expect(String(buffer: try await server.messages.next().bytes) == sipMessage("OPTIONS"))

    let unpinned = try Self.client()
    unpinned.layer.send(ByteBuffer(string: sipMessage("OPTIONS")), to: listener)
    #expect(try await unpinned.sendFailures.next() == listener)
    try await unpinned.close()
    try await client.close()
    try await server.close()
  }
}
