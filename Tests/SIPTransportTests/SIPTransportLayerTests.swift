import Logging
import NIOCore
import NIOPosix
import SIPCore
import SIPTransport
import Testing

/// A transport layer on real loopback sockets, with inboxes for what it reports.
struct Harness {
  let group: MultiThreadedEventLoopGroup
  let udpLoop: any EventLoop
  let layer: SIPTransportLayer
  let messages: Inbox<InboundMessage>
  let sendFailures: Inbox<Endpoint>
  let closedListeners: Inbox<Endpoint>

  init(configuration: TransportConfiguration = TransportConfiguration(), tls: TLSContextStore? = nil) {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let udpLoop = group.next()
    let messages = Inbox<InboundMessage>(loop: udpLoop)
    let sendFailures = Inbox<Endpoint>(loop: udpLoop)
    let closedListeners = Inbox<Endpoint>(loop: udpLoop)
    self.group = group
    self.udpLoop = udpLoop
    self.messages = messages
    self.sendFailures = sendFailures
    self.closedListeners = closedListeners
    self.layer = SIPTransportLayer(
      group: group, udpLoop: udpLoop, configuration: configuration,
      logger: Logger(label: "sip-transport-test", factory: { _ in SwiftLogNoOpLogHandler() }),
      onMessage: { messages.put($0) }, onSendFailure: { sendFailures.put($0) },
      onListenerClosed: { closedListeners.put($0) }, tls: tls)
  }

  func close() async throws {
    await self.layer.shutdown()
    try await self.group.shutdownGracefully()
  }
}

func sipMessage(_ method: String, body: String = "") -> String {
  "\(method) sip:b@example.com SIP/2.0\r\nCall-ID: \(method)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

/// Reads from a stream client's inbox until `count` bytes have arrived.
private func readString(_ inbox: Inbox<ByteBuffer>, count: Int) async throws -> String {
  var text = ""
  while text.utf8.count < count {
    var chunk = try await inbox.next()
    text += chunk.readString(length: chunk.readableBytes)!
  }
  return text
}

@Suite struct SIPTransportLayerTests {
  @Test(arguments: ["127.0.0.1", "::1"])
  func udpDatagramInAndReplyFromTheListeningPort(host: String) async throws {
    let harness = Harness()
    let bound = try await harness.layer.bind([Endpoint(transport: .udp, host: host, port: 0)])
    let listener = try #require(bound.first)
    #expect(listener.transport == .udp && listener.host == host && listener.port != 0)

    let received = Inbox<AddressedEnvelope<ByteBuffer>>(loop: harness.group.next())
    let client = try await DatagramBootstrap(group: harness.group)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(InboxHandler(received))
        }
      }
      .bind(host: host, port: 0).get()
    let clientEndpoint = Endpoint(transport: .udp, host: host, port: client.localAddress!.port!)
    let listenerAddress = try SocketAddress(ipAddress: host, port: listener.port)

    // A CRLF keepalive is dropped; the request after it is delivered whole.
    for text in ["\r\n\r\n", sipMessage("OPTIONS")] {
      try await client.writeAndFlush(
        AddressedEnvelope(remoteAddress: listenerAddress, data: ByteBuffer(string: text)))
    }
    let message = try await harness.messages.next()
    #expect(message.bytes == ByteBuffer(string: sipMessage("OPTIONS")))
    #expect(message.source == clientEndpoint)
    #expect(message.local == listener)
    #expect(try await harness.messages.pendingCount() == 0)

    // Replies, sent off and on the UDP loop, come from the listening port.
    harness.layer.send(ByteBuffer(string: "reply 1"), to: message.source)
    try await harness.udpLoop.submit {
      harness.layer.send(ByteBuffer(string: "reply 2"), to: message.source)
    }.get()
    for expected in ["reply 1", "reply 2"] {
      let reply = try await received.next()
      #expect(reply.data == ByteBuffer(string: expected))
      #expect(reply.remoteAddress.port == listener.port)
      #expect(reply.remoteAddress.ipAddress == host)
    }

    let counters = harness.layer.counters
    #expect(counters.datagramsReceived == 2)
    #expect(counters.datagramKeepalives == 1)
    #expect(counters.datagramsSent == 2)
    try await client.close()
    try await harness.close()
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func tcpFramesInAndReplyOverTheSameConnection(host: String) async throws {
    let harness = Harness()
    let bound = try await harness.layer.bind([
      Endpoint(transport: .udp, host: host, port: 0), Endpoint(transport: .tcp, host: host, port: 0),
    ])
    let listener = bound[1]
    #expect(listener.transport == .tcp && listener.port != 0)

    let received = Inbox<ByteBuffer>(loop: harness.group.next())
    let client = try await ClientBootstrap(group: harness.group)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(InboxHandler(received))
        }
      }
      .connect(host: host, port: listener.port).get()
    let clientEndpoint = Endpoint(transport: .tcp, host: host, port: client.localAddress!.port!)

    let invite = sipMessage("INVITE", body: "v=0\r\n\r\n\0")
    try await client.writeAndFlush(ByteBuffer(string: invite + "\r\n\r\n" + sipMessage("ACK")))
    let first = try await harness.messages.next()
    let second = try await harness.messages.next()
    #expect(first.bytes == ByteBuffer(string: invite))
    #expect(second.bytes == ByteBuffer(string: sipMessage("ACK")))
    #expect(first.source == clientEndpoint && second.source == clientEndpoint)
    #expect(first.local.transport == .tcp && first.local.port == listener.port)

    // The pong of the ping between the two frames, then the reply on the same connection.
    #expect(try await readString(received, count: 2) == "\r\n")
    let reply = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"
    harness.layer.send(ByteBuffer(string: reply), to: first.source)
    #expect(try await readString(received, count: reply.utf8.count) == reply)

    let counters = harness.layer.counters
    #expect(counters.framesReceived == 2)
    #expect(counters.keepalivesAnswered == 1)
    #expect(counters.tcpConnectionsAccepted == 1)
    #expect(counters.tcpConnectionsConnected == 0)
    try await client.close()
    try await harness.close()
  }

  private enum ServerEvent: Sendable {
    case accepted
    case data(ByteBuffer)
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func tcpSendOpensOneConnectionAndReusesIt(host: String) async throws {
    let harness = Harness()
    let events = Inbox<ServerEvent>(loop: harness.group.next())
    let server = try await ServerBootstrap(group: harness.group)
      .childChannelInitializer { channel in
        events.put(.accepted)
        return channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(DataForwarder(events: events))
        }
      }
      .bind(host: host, port: 0).get()
    let destination = Endpoint(transport: .tcp, host: host, port: server.localAddress!.port!)

    // Two sends before any connection exists share one attempt; a third reuses it.
    harness.layer.send(ByteBuffer(string: "one."), to: destination)
    harness.layer.send(ByteBuffer(string: "two."), to: destination)
    var accepted = 0
    var text = ""
    func receive(until expected: String) async throws {
      while text != expected {
        switch try await events.next() {
        case .accepted: accepted += 1
        case .data(var bytes): text += bytes.readString(length: bytes.readableBytes)!
        }
        #expect(expected.hasPrefix(text))
      }
    }
    try await receive(until: "one.two.")
    harness.layer.send(ByteBuffer(string: "three."), to: destination)
    try await receive(until: "one.two.three.")
    #expect(accepted == 1)
    #expect(try await events.pendingCount() == 0)

    let counters = harness.layer.counters
    #expect(counters.tcpConnectionsConnected == 1)
    #expect(counters.tcpConnectionsOpen == 1)
    #expect(counters.sendFailures == 0)

    // Shutdown closes the connection; a later send fails.
    await harness.layer.shutdown()
    #expect(harness.layer.counters.tcpConnectionsOpen == 0)
    harness.layer.send(ByteBuffer(string: "four."), to: destination)
    #expect(try await harness.sendFailures.next() == destination)
    try await server.close()
    try await harness.close()
  }

  private final class DataForwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let events: Inbox<ServerEvent>
    init(events: Inbox<ServerEvent>) { self.events = events }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      self.events.put(.data(Self.unwrapInboundIn(data)))
    }
  }

  @Test func tcpSendToAClosedPortReportsFailure() async throws {
    let harness = Harness()
    let server = try await ServerBootstrap(group: harness.group).bind(host: "127.0.0.1", port: 0).get()
    let destination = Endpoint(transport: .tcp, host: "127.0.0.1", port: server.localAddress!.port!)
    try await server.close()

    harness.layer.send(ByteBuffer(string: "lost"), to: destination)
    #expect(try await harness.sendFailures.next() == destination)
    #expect(harness.layer.counters.sendFailures == 1)
    try await harness.close()
  }

  @Test func sendWithoutAListenerOrToANameReportsFailure() async throws {
    let harness = Harness()
    let noListener = Endpoint(transport: .udp, host: "127.0.0.1", port: 5060)
    let name = Endpoint(transport: .tcp, host: "localhost", port: 5060)
    let tls = Endpoint(transport: .tls, host: "127.0.0.1", port: 5061)
    for destination in [noListener, name, tls] {
      harness.layer.send(ByteBuffer(string: "lost"), to: destination)
      #expect(try await harness.sendFailures.next() == destination)
    }
    try await harness.close()
  }

  @Test func bindFailuresNameTheAddress() async throws {
    let harness = Harness()
    let udp = try await harness.layer.bind([Endpoint(transport: .udp, host: "127.0.0.1", port: 0)])[0]

    let taken = Endpoint(transport: .tcp, host: "127.0.0.1", port: 0)
    await #expect {
      _ = try await harness.layer.bind([taken, udp])
    } throws: { error in
      "\(error)".hasPrefix("cannot bind udp:127.0.0.1:\(udp.port): ")
    }
    let tls = Endpoint(transport: .tls, host: "127.0.0.1", port: 0)
    await #expect {
      _ = try await harness.layer.bind([tls])
    } throws: { error in
      "\(error)" == "cannot bind tls:127.0.0.1:0: no TLS certificate configured (tls.certificate_file)"
    }
    let name = Endpoint(transport: .udp, host: "localhost", port: 0)
    await #expect {
      _ = try await harness.layer.bind([name])
    } throws: { error in
      "\(error)".contains("not a numeric IP address")
    }
    try await harness.close()
  }
}
