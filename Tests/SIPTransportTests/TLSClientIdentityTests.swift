import NIOCore
import NIOEmbedded
import SIPCore
import Testing

@testable import SIPTransport

/// Migration 0025: mutual TLS by the client certificate's subject or
/// subjectAltName, a client and a server handler paired in memory. A name
/// counts only when the certificate's chain verifies against `tls.ca_file`.
@Suite struct TLSClientIdentityTests {
  typealias Side = TLSHandlerTests.Side

  static let trunkSubject = "CN=sbc.carrier.test,O=Carrier Test Ltd,C=GB"

  /// The switch's server side: its certificate, and the client CA as `tls.ca_file`.
  static func serverContext(caFile: String? = TestClientCertificates.path("clientca.pem")) throws
    -> TLSContext
  {
    try TLSContext(
      role: .server,
      configuration: TLSConfiguration(
        certificateFile: TestCertificates.path("server.pem"),
        privateKeyFile: TestCertificates.path("server.key"),
        caFile: caFile))
  }

  /// A server side that requires one of `accepted`, a client presenting
  /// `clientCertificate` (a file name stem, nil: none) that sends "OPTIONS".
  static func attempt(
    _ accepted: [TLSClientIdentity], clientCertificate: String?, server: TLSContext? = nil,
    maxVersion: TLSContext.MaxVersion = .tls13
  ) throws -> (server: Side, client: Side) {
    var configuration = TLSConfiguration(caFile: TestCertificates.path("ca.pem"))
    if let clientCertificate {
      configuration.certificateFile = TestClientCertificates.path("\(clientCertificate).pem")
      configuration.privateKeyFile = TestClientCertificates.path("\(clientCertificate).key")
    }
    let loop = EmbeddedEventLoop()
    let box = TLSHandlerTests.OutcomeBox()
    let handler = TLSHandler(
      connection: try (server ?? serverContext()).makeConnection(accepted: accepted), role: .server,
      handshakeTimeout: .seconds(5), onHandshake: { box.outcomes.append($0) })
    let sink = TLSHandlerTests.Sink()
    let channel = EmbeddedChannel(loop: loop)
    try channel.pipeline.syncOperations.addHandler(handler)
    try channel.pipeline.syncOperations.addHandler(sink)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5061)).wait()
    let serverSide = Side(channel: channel, sink: sink, loop: loop, box: box)
    let client = try TLSHandlerTests.makeSide(
      TLSContext(role: .client, configuration: configuration, maxVersion: maxVersion),
      serverName: "sip.example.test")
    client.channel.writeAndFlush(ByteBuffer(string: "OPTIONS"), promise: nil)
    try TLSHandlerTests.pump(client, serverSide)
    return (serverSide, client)
  }

  static func served(_ pair: (server: Side, client: Side)) -> Bool {
    TLSHandlerTests.completed(pair.server) != nil && pair.server.sink.text == "OPTIONS"
      && pair.server.channel.isActive
  }

  /// Refused: no handshake, nothing delivered, the connection closed; the reason.
  static func refusal(_ pair: (server: Side, client: Side)) -> String? {
    guard TLSHandlerTests.completed(pair.server) == nil, pair.server.sink.received.readableBytes == 0,
      !pair.server.channel.isActive
    else { return nil }
    return (pair.server.sink.errors.first as? TLSError)?.message ?? ""
  }

  @Test(arguments: [
    TLSClientIdentity(subject: try! DistinguishedName(trunkSubject)),
    TLSClientIdentity(subjectAltName: .dns("sbc.carrier.test")),
    TLSClientIdentity(subjectAltName: try! SubjectAltName("URI:sip:sbc.carrier.test")),
    TLSClientIdentity(subjectAltName: try! SubjectAltName("IP:2001:0db8:0:0::10")),
    TLSClientIdentity(subjectAltName: try! SubjectAltName("IP:192.0.2.10")),
    TLSClientIdentity(
      subject: try! DistinguishedName(trunkSubject), subjectAltName: .dns("sbc.carrier.test")),
  ])
  func theRightNameFromATrustedCAIsServed(identity: TLSClientIdentity) throws {
    #expect(Self.served(try Self.attempt([identity], clientCertificate: "trunk")))
  }

  @Test func anotherNameFromTheSameCAIsRefused() throws {
    let bySAN = try Self.attempt(
      [TLSClientIdentity(subjectAltName: .dns("sbc.carrier.test"))], clientCertificate: "stranger")
    #expect(Self.refusal(bySAN)?.contains("has no subjectAltName DNS:sbc.carrier.test") == true)
    #expect(Self.refusal(bySAN)?.contains("\"CN=sbc.stranger.test,O=Stranger Ltd,C=GB\"") == true)
    let bySubject = try Self.attempt(
      [TLSClientIdentity(subject: try DistinguishedName(Self.trunkSubject))], clientCertificate: "stranger")
    #expect(Self.refusal(bySubject)?.contains("is not \"\(Self.trunkSubject)\"") == true)
    // The CN alone is not the subject.
    let cnOnly = try Self.attempt(
      [TLSClientIdentity(subject: try DistinguishedName("CN=sbc.carrier.test"))], clientCertificate: "trunk")
    #expect(Self.refusal(cnOnly) != nil)
  }

  @Test func theRightNamesFromAnUntrustedChainAreRefused() throws {
    let identity = TLSClientIdentity(
      subject: try DistinguishedName(Self.trunkSubject), subjectAltName: .dns("sbc.carrier.test"))
    let forged = try Self.attempt([identity], clientCertificate: "forged")
    #expect(Self.refusal(forged)?.contains("does not verify against tls.ca_file") == true)
    // With no tls.ca_file, no name matches: even the real certificate is refused.
    let noCA = try Self.attempt(
      [identity], clientCertificate: "trunk", server: Self.serverContext(caFile: nil))
    #expect(Self.refusal(noCA)?.contains("does not verify against tls.ca_file") == true)
  }

  /// Checked within the handshake (the verify callback): in TLS 1.2 the
  /// server never sends its Finished, so the client does not complete either.
  @Test func aWrongNameFailsTheTLS12HandshakeOnBothSides() throws {
    let identity = TLSClientIdentity(subjectAltName: .dns("sbc.carrier.test"))
    for certificate in ["stranger", "forged"] {
      let pair = try Self.attempt([identity], clientCertificate: certificate, maxVersion: .tls12)
      #expect(Self.refusal(pair) != nil)
      #expect(TLSHandlerTests.completed(pair.client) == nil)
      #expect(!pair.client.channel.isActive)
    }
    #expect(Self.served(try Self.attempt([identity], clientCertificate: "trunk", maxVersion: .tls12)))
  }

  @Test func noCertificateIsRefused() throws {
    let none = try Self.attempt(
      [TLSClientIdentity(subjectAltName: .dns("sbc.carrier.test"))], clientCertificate: nil)
    #expect(Self.refusal(none) != nil)
  }

  /// Several interconnects at one address: any one of them; within one, every column.
  @Test func oneOfSeveralIdentitiesAndEveryColumnOfOne() throws {
    let stranger = TLSClientIdentity(subjectAltName: .dns("sbc.stranger.test"))
    let trunk = TLSClientIdentity(subjectAltName: .dns("sbc.carrier.test"))
    #expect(Self.served(try Self.attempt([stranger, trunk], clientCertificate: "trunk")))
    #expect(Self.served(try Self.attempt([stranger, trunk], clientCertificate: "stranger")))
    // A pin and a name: the pin alone does not do.
    let forgedPin = TestClientCertificates.forgedFingerprint
    let both = TLSClientIdentity(fingerprintSHA256: forgedPin, subjectAltName: .dns("sbc.carrier.test"))
    #expect(Self.refusal(try Self.attempt([both], clientCertificate: "forged")) != nil)
    // A pin alone accepts the self-signed certificate, as before (Migration 0024).
    #expect(
      Self.served(
        try Self.attempt([TLSClientIdentity(fingerprintSHA256: forgedPin)], clientCertificate: "forged")))
  }

  /// The names OpenSSL reads from a certificate, as the columns are written.
  @Test func theCertificatesNamesAreRead() throws {
    let context = try TLSContext(
      role: .server,
      configuration: TLSConfiguration(
        certificateFile: TestClientCertificates.path("trunk.pem"),
        privateKeyFile: TestClientCertificates.path("trunk.key")))
    let client = try TLSContext(
      role: .client, configuration: TLSConfiguration(caFile: TestClientCertificates.path("clientca.pem")))
    let connection = try client.makeConnection(serverName: "sbc.carrier.test")
    let server = try context.makeConnection()
    // Handshake the two connections directly, then read what the client saw.
    for _ in 0..<10 {
      _ = connection.handshake()
      if let bytes = connection.drainOutput(allocator: ByteBufferAllocator()) { server.feed(bytes) }
      _ = server.handshake()
      if let bytes = server.drainOutput(allocator: ByteBufferAllocator()) { connection.feed(bytes) }
    }
    let presented = connection.presentedCertificate
    #expect(presented.subject?.text == Self.trunkSubject)
    #expect(
      presented.subjectAltNames == [
        .dns("sbc.carrier.test"), .uri("sip:sbc.carrier.test"), .ip("192.0.2.10"), .ip("2001:db8::10"),
      ])
    #expect(presented.chainError == nil)
    #expect(presented.fingerprintSHA256 == TestClientCertificates.trunkFingerprint)
  }
}
