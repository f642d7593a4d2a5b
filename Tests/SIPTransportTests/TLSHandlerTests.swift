import NIOCore
import NIOEmbedded
import Testing

@testable import SIPTransport

/// Issue 20: the TLS handler over OpenSSL memory BIOs, a client and a server
/// paired in memory (no sockets, no clock but the embedded loop's).
@Suite struct TLSHandlerTests {
  /// Collects the plaintext that comes out of a TLS handler, and its errors.
  final class Sink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var received = ByteBuffer()
    var errors: [any Error] = []
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var bytes = Self.unwrapInboundIn(data)
      self.received.writeBuffer(&bytes)
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      self.errors.append(error)
    }
    var text: String { String(buffer: self.received) }
  }

  /// One side of the pair.
  struct Side {
    let channel: EmbeddedChannel
    let sink: Sink
    let loop: EmbeddedEventLoop
    var outcomes: [TLSHandshakeOutcome] { self.box.outcomes }
    let box: OutcomeBox
  }

  final class OutcomeBox {
    var outcomes: [TLSHandshakeOutcome] = []
    var sessions: [TLSSession] = []
  }

  static let serverConfiguration = TLSConfiguration(
    certificateFile: TestCertificates.path("server.pem"), privateKeyFile: TestCertificates.path("server.key"))
  static let clientConfiguration = TLSConfiguration(caFile: TestCertificates.path("ca.pem"))

  static func makeSide(
    _ context: TLSContext, serverName: String? = nil, timeout: TimeAmount = .seconds(5),
    resuming session: TLSSession? = nil, pinnedFingerprint: String? = nil, requiredClient: Set<String>? = nil
  ) throws -> Side {
    let loop = EmbeddedEventLoop()
    let box = OutcomeBox()
    let handler = TLSHandler(
      connection: try context.makeConnection(
        serverName: serverName, resuming: session,
        acceptedFingerprints: requiredClient ?? pinnedFingerprint.map { [$0] }),
      role: context.role,
      handshakeTimeout: timeout, onHandshake: { box.outcomes.append($0) },
      onSession: { box.sessions.append($0) })
    let sink = Sink()
    let channel = EmbeddedChannel(loop: loop)
    try channel.pipeline.syncOperations.addHandler(handler)
    try channel.pipeline.syncOperations.addHandler(sink)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5061)).wait()
    return Side(channel: channel, sink: sink, loop: loop, box: box)
  }

  static func makePair(
    server: TLSContext? = nil, client: TLSContext? = nil, serverName: String = "sip.example.test"
  ) throws -> (server: Side, client: Side) {
    let serverSide = try makeSide(server ?? TLSContext(role: .server, configuration: serverConfiguration))
    let clientSide = try makeSide(
      client ?? TLSContext(role: .client, configuration: clientConfiguration), serverName: serverName)
    return (serverSide, clientSide)
  }

  /// Moves ciphertext both ways until neither side has anything to send.
  /// `chunk` splits every transfer into pieces of that many bytes.
  @discardableResult
  static func pump(_ a: Side, _ b: Side, chunk: Int = .max) throws -> Int {
    var moved = 0
    var progress = true
    while progress {
      progress = false
      for (from, to) in [(a, b), (b, a)] {
        while let bytes = try from.channel.readOutbound(as: ByteBuffer.self) {
          progress = true
          moved += bytes.readableBytes
          var rest = bytes
          while rest.readableBytes > 0, to.channel.isActive {
            let piece = rest.readSlice(length: min(chunk, rest.readableBytes))!
            try to.channel.writeInbound(piece)
          }
        }
      }
    }
    return moved
  }

  static func completed(_ side: Side) -> (version: String, resumed: Bool, serverName: String?)? {
    for case .completed(let version, _, let resumed, let serverName) in side.outcomes {
      return (version, resumed, serverName)
    }
    return nil
  }

  @Test func handshakeThenPlaintextBothWays() throws {
    let (server, client) = try Self.makePair()
    // Written before the handshake: waits for it.
    let early = client.channel.writeAndFlush(ByteBuffer(string: "OPTIONS sip:a SIP/2.0\r\n\r\n"))
    try Self.pump(client, server)
    try early.wait()
    #expect(Self.completed(server)?.version == "TLSv1.3")
    #expect(Self.completed(server)?.serverName == "sip.example.test")
    #expect(Self.completed(client) != nil)
    #expect(server.sink.text == "OPTIONS sip:a SIP/2.0\r\n\r\n")
    try server.channel.writeAndFlush(ByteBuffer(string: "SIP/2.0 200 OK\r\n\r\n")).wait()
    try Self.pump(client, server)
    #expect(client.sink.text == "SIP/2.0 200 OK\r\n\r\n")
  }

  @Test func partialRecordsOneByteAtATime() throws {
    let (server, client) = try Self.makePair()
    client.channel.writeAndFlush(ByteBuffer(string: "REGISTER sip:b SIP/2.0\r\n\r\n"), promise: nil)
    try Self.pump(client, server, chunk: 1)
    #expect(server.sink.text == "REGISTER sip:b SIP/2.0\r\n\r\n")
    #expect(server.channel.isActive && client.channel.isActive)
  }

  @Test func aOneMegabyteMessageArrivesWhole() throws {
    let (server, client) = try Self.makePair()
    try Self.pump(client, server)
    let big = String(repeating: "x", count: 1 << 20)
    try client.channel.writeAndFlush(ByteBuffer(string: big)).wait()
    try Self.pump(client, server)
    #expect(server.sink.received.readableBytes == 1 << 20)
  }

  @Test func closeSendsCloseNotifyAndThePeerCloses() throws {
    let (server, client) = try Self.makePair()
    try Self.pump(client, server)
    _ = client.channel.close()
    try Self.pump(client, server)
    #expect(!server.channel.isActive)
    #expect(server.sink.errors.isEmpty)
  }

  @Test func garbageBeforeTheHandshakeClosesWithAnError() throws {
    let server = try Self.makeSide(TLSContext(role: .server, configuration: Self.serverConfiguration))
    try server.channel.writeInbound(ByteBuffer(bytes: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
    #expect(!server.channel.isActive)
    #expect(server.sink.errors.contains { ($0 as? TLSError)?.kind == .handshake })
    #expect(server.sink.received.readableBytes == 0)
  }

  @Test func plainSIPOnATLSConnectionIsRefused() throws {
    let server = try Self.makeSide(TLSContext(role: .server, configuration: Self.serverConfiguration))
    try server.channel.writeInbound(
      ByteBuffer(string: "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP x\r\n\r\n"))
    #expect(!server.channel.isActive)
    #expect(server.sink.received.readableBytes == 0)
    guard case .failed = server.outcomes.first else {
      Issue.record("no failed handshake reported")
      return
    }
  }

  @Test func aHandshakeThatNeverFinishesIsClosedAtTheDeadline() throws {
    let server = try Self.makeSide(
      TLSContext(role: .server, configuration: Self.serverConfiguration), timeout: .seconds(2))
    try server.channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01]))  // a record header, then nothing
    server.loop.advanceTime(by: .milliseconds(1999))
    #expect(server.channel.isActive)
    server.loop.advanceTime(by: .milliseconds(1))
    #expect(!server.channel.isActive)
    #expect(server.sink.errors.contains { ($0 as? TLSError)?.kind == .handshakeTimeout })
  }

  @Test func anUntrustedServerCertificateFailsTheClient() throws {
    let other = try TLSContext(
      role: .server,
      configuration: TLSConfiguration(
        certificateFile: TestCertificates.path("other.pem"),
        privateKeyFile: TestCertificates.path("other.key")))
    let (server, client) = try Self.makePair(server: other)
    try Self.pump(client, server)
    #expect(!client.channel.isActive)
    let error = client.sink.errors.first as? TLSError
    #expect(error?.message.contains("certificate verify failed") == true)
  }

  @Test func aServerCertificateForAnotherNameFailsTheClient() throws {
    let (server, client) = try Self.makePair(serverName: "other.example.test")
    try Self.pump(client, server)
    #expect(!client.channel.isActive)
    #expect(Self.completed(client) == nil)
  }

  @Test func tls12IsAcceptedAndTheCiphersAreConfigurable() throws {
    var configuration = Self.serverConfiguration
    configuration.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"
    configuration.curves = "P-256"
    let server = try TLSContext(role: .server, configuration: configuration)
    var clientConfiguration = Self.clientConfiguration
    clientConfiguration.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"
    let client = try TLSContext(role: .client, configuration: clientConfiguration, maxVersion: .tls12)
    let (serverSide, clientSide) = try Self.makePair(server: server, client: client)
    try Self.pump(clientSide, serverSide)
    #expect(Self.completed(serverSide)?.version == "TLSv1.2")
    guard case .completed(_, let cipher, _, _) = serverSide.outcomes.first else {
      Issue.record("no handshake")
      return
    }
    #expect(cipher == "ECDHE-ECDSA-CHACHA20-POLY1305")
  }

  @Test func badConfigurationIsAClearError() throws {
    #expect(throws: TLSError.self) {
      try TLSContext(role: .server, configuration: TLSConfiguration(certificateFile: "/nonexistent.pem"))
    }
    let mismatched = TLSConfiguration(
      certificateFile: TestCertificates.path("server.pem"), privateKeyFile: TestCertificates.path("other.key")
    )
    do {
      _ = try TLSContext(role: .server, configuration: mismatched)
      Issue.record("a key that does not match its certificate was accepted")
    } catch {
      #expect(error.description.contains("mismatch") || error.description.contains("does not match"))
    }
    var badCurves = Self.serverConfiguration
    badCurves.curves = "no-such-curve"
    #expect(throws: TLSError.self) { try TLSContext(role: .server, configuration: badCurves) }
  }

  @Test(arguments: [TLSContext.MaxVersion.tls13, .tls12])
  func aSecondConnectionResumesTheSession(version: TLSContext.MaxVersion) throws {
    let serverContext = try TLSContext(role: .server, configuration: Self.serverConfiguration)
    let clientContext = try TLSContext(
      role: .client, configuration: Self.clientConfiguration, maxVersion: version)
    let (server, client) = try Self.makePair(server: serverContext, client: clientContext)
    client.channel.writeAndFlush(ByteBuffer(string: "OPTIONS"), promise: nil)
    try Self.pump(client, server)
    try server.channel.writeAndFlush(ByteBuffer(string: "SIP/2.0 200 OK")).wait()
    try Self.pump(client, server)  // the client reads the TLS 1.3 tickets with the answer
    #expect(Self.completed(client)?.resumed == false)
    _ = client.channel.close()
    try Self.pump(client, server)
    let session = try #require(client.box.sessions.first)

    let again = try Self.makeSide(serverContext)
    let resumed = try Self.makeSide(clientContext, serverName: "sip.example.test", resuming: session)
    resumed.channel.writeAndFlush(ByteBuffer(string: "OPTIONS"), promise: nil)
    try Self.pump(resumed, again)
    #expect(Self.completed(again)?.resumed == true)
    #expect(Self.completed(resumed)?.resumed == true)
    #expect(again.sink.text == "OPTIONS")
  }

  /// SHA-256 of other.pem (DER): `openssl x509 -in other.pem -outform DER | sha256sum`.
  static let otherFingerprint = "61208ea0da451dc59f32df0d5b7c03a86e8e16be62c1ea624c83052f47e313f2"

  @Test func aPinnedCertificateIsAcceptedWhoeverSignedItAndNoOther() throws {
    let other = try TLSContext(
      role: .server,
      configuration: TLSConfiguration(
        certificateFile: TestCertificates.path("other.pem"),
        privateKeyFile: TestCertificates.path("other.key")))
    let client = try TLSContext(role: .client, configuration: Self.clientConfiguration)
    // Self-signed, from no trusted CA, but pinned: accepted.
    let serverSide = try Self.makeSide(other)
    let pinned = try Self.makeSide(client, serverName: "127.0.0.1", pinnedFingerprint: Self.otherFingerprint)
    try Self.pump(pinned, serverSide)
    #expect(Self.completed(pinned) != nil)
    #expect(pinned.channel.isActive)
    // The CA-signed server certificate is not the pinned one: refused.
    let trusted = try Self.makeSide(TLSContext(role: .server, configuration: Self.serverConfiguration))
    let refused = try Self.makeSide(
      client, serverName: "sip.example.test", pinnedFingerprint: Self.otherFingerprint)
    try Self.pump(refused, trusted)
    #expect(!refused.channel.isActive)
    #expect(Self.completed(refused) == nil)
    let error = refused.sink.errors.first as? TLSError
    #expect(error?.message.contains("is not the pinned") == true)
  }

  /// Mutual TLS: a server that requires one of some client certificates.
  @Test func aRequiredClientCertificateIsCheckedByFingerprint() throws {
    let serverContext = try TLSContext(role: .server, configuration: Self.serverConfiguration)
    func attempt(clientCertificate: String?) throws -> (server: Side, client: Side) {
      var configuration = Self.clientConfiguration
      if let clientCertificate {
        configuration.certificateFile = TestCertificates.path("\(clientCertificate).pem")
        configuration.privateKeyFile = TestCertificates.path("\(clientCertificate).key")
      }
      let server = try Self.makeSide(serverContext, requiredClient: [Self.otherFingerprint])
      let client = try Self.makeSide(
        TLSContext(role: .client, configuration: configuration), serverName: "sip.example.test")
      client.channel.writeAndFlush(ByteBuffer(string: "OPTIONS"), promise: nil)
      try Self.pump(client, server)
      return (server, client)
    }
    // The interconnect's certificate (self-signed): served.
    let good = try attempt(clientCertificate: "other")
    #expect(Self.completed(good.server) != nil)
    #expect(good.server.sink.text == "OPTIONS")
    // No certificate: the handshake fails.
    let none = try attempt(clientCertificate: nil)
    #expect(Self.completed(none.server) == nil)
    #expect(!none.server.channel.isActive)
    #expect(none.server.sink.received.readableBytes == 0)
    // Another certificate, even one from a trusted CA: the handshake fails.
    let wrong = try attempt(clientCertificate: "server")
    #expect(Self.completed(wrong.server) == nil)
    #expect(wrong.server.sink.received.readableBytes == 0)
    let error = wrong.server.sink.errors.first as? TLSError
    #expect(error?.message.contains("client certificate SHA-256") == true)
  }

  /// The fingerprint is checked within the handshake: in TLS 1.2 a wrong
  /// client certificate is refused before the server's Finished, so the client
  /// does not complete either (it learns it from the alert, not from a close).
  @Test func aWrongClientCertificateFailsTheTLS12HandshakeOnBothSides() throws {
    var configuration = Self.clientConfiguration
    configuration.certificateFile = TestCertificates.path("server.pem")
    configuration.privateKeyFile = TestCertificates.path("server.key")
    let server = try Self.makeSide(
      TLSContext(role: .server, configuration: Self.serverConfiguration),
      requiredClient: [Self.otherFingerprint])
    let client = try Self.makeSide(
      TLSContext(role: .client, configuration: configuration, maxVersion: .tls12),
      serverName: "sip.example.test")
    try Self.pump(client, server)
    #expect(Self.completed(server) == nil)
    #expect(Self.completed(client) == nil)
    #expect(!client.channel.isActive && !server.channel.isActive)
    let error = server.sink.errors.first as? TLSError
    #expect(error?.message.contains("client certificate SHA-256") == true)
  }

  /// The same for a pinned server certificate: the client refuses it within
  /// the handshake, and a TLS 1.2 server does not complete.
  @Test func aWrongPinFailsTheTLS12HandshakeOnBothSides() throws {
    let server = try Self.makeSide(TLSContext(role: .server, configuration: Self.serverConfiguration))
    let client = try Self.makeSide(
      TLSContext(role: .client, configuration: Self.clientConfiguration, maxVersion: .tls12),
      serverName: "sip.example.test", pinnedFingerprint: Self.otherFingerprint)
    try Self.pump(client, server)
    #expect(Self.completed(client) == nil)
    #expect(Self.completed(server) == nil)
    let error = client.sink.errors.first as? TLSError
    #expect(error?.message.contains("is not the pinned") == true)
  }

  @Test func theCertificateExpiryIsKnown() throws {
    let context = try TLSContext(role: .server, configuration: Self.serverConfiguration)
    // notAfter 2126-11-13 12:31:45 UTC (the fixture).
    #expect(context.certificateNotAfter == 4_950_246_705)
  }
}
