import NIOCore
import NIOPosix
import SIPCore
import Testing

@_spi(Testing) @testable import SIPTransport

#if canImport(Glibc)
  import Glibc
#endif

/// RFC 3261 §18.2.2 sends to whatever a Via or Route names: a destination the
/// kernel refuses must cost that datagram only, never the listener.
@Suite struct UDPSendRobustnessTests {
  /// A bound client socket, and what it receives.
  private func client(_ harness: Harness) async throws -> (
    channel: any Channel, received: Inbox<AddressedEnvelope<ByteBuffer>>, endpoint: Endpoint
  ) {
    let received = Inbox<AddressedEnvelope<ByteBuffer>>(loop: harness.group.next())
    let channel = try await DatagramBootstrap(group: harness.group)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(InboxHandler(received))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    return (
      channel, received, Endpoint(transport: .udp, host: "127.0.0.1", port: channel.localAddress!.port!)
    )
  }

  @Test func refusedDestinationsAreReportedAndTheListenerKeepsWorking() async throws {
    let harness = Harness()
    let listener = try await harness.layer.bind([Endpoint(transport: .udp, host: "127.0.0.1", port: 0)])[0]
    let (client, received, clientEndpoint) = try await client(harness)

    // Each of these closed NIO's datagram channel when written through it.
    let unusable = [
      Endpoint(transport: .udp, host: "127.0.0.1", port: 0),
      Endpoint(transport: .udp, host: "255.255.255.255", port: 5060),
      Endpoint(transport: .udp, host: "224.0.0.1", port: 5060),
      Endpoint(transport: .udp, host: "0.0.0.0", port: 5060),
      Endpoint(transport: .udp, host: "192.0.2.1", port: 5060),
    ]
    for destination in unusable {
      harness.layer.send(ByteBuffer(string: "lost"), to: destination)
      // Sent on the loop too, in the same tick as a good datagram.
      try await harness.udpLoop.submit {
        harness.layer.send(ByteBuffer(string: "lost"), to: destination)
        harness.layer.send(ByteBuffer(string: "kept"), to: clientEndpoint)
      }.get()
    }
    for destination in unusable {
      #expect(try await harness.sendFailures.next() == destination)
      #expect(try await harness.sendFailures.next() == destination)
    }
    for _ in unusable { #expect(try await received.next().data == ByteBuffer(string: "kept")) }

    // The listener still receives and sends.
    try await client.writeAndFlush(
      AddressedEnvelope(
        remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: listener.port),
        data: ByteBuffer(string: sipMessage("OPTIONS"))))
    let message = try await harness.messages.next()
    #expect(message.source == clientEndpoint)
    harness.layer.send(ByteBuffer(string: "reply"), to: message.source)
    #expect(try await received.next().data == ByteBuffer(string: "reply"))

    let counters = harness.layer.counters
    #expect(counters.destinationsRefused == 2 * unusable.count)
    #expect(counters.sendFailures == 2 * unusable.count)
    #expect(counters.datagramsSent == unusable.count + 1)
    #expect(counters.listenersClosed == 0)
    #expect(try await harness.closedListeners.pendingCount() == 0)
    try await client.close()
    try await harness.close()
  }

  /// The outbox on its own: a datagram the kernel refuses is reported with its
  /// errno and skipped; the rest of the batch goes out.
  @Test func aKernelRefusalCostsOneDatagram() async throws {
    let harness = Harness()
    let (client, received, clientEndpoint) = try await client(harness)
    let fd = try UDPSocket.makeBound(try SocketAddress(ipAddress: "127.0.0.1", port: 0), ipv6Only: false)
    // From a socket bound to 127.0.0.1, Linux refuses non-loopback destinations (EINVAL).
    let outbox = DatagramOutbox(fd: fd, isLoopback: true)
    let refused = Endpoint(transport: .udp, host: "192.0.2.1", port: 5060)
    let good = try SocketAddress(ipAddress: "127.0.0.1", port: clientEndpoint.port)
    for text in ["one", "two"] {
      outbox.enqueue(
        ByteBuffer(string: "x"), to: SocketDestination(try SocketAddress(ipAddress: "192.0.2.1", port: 5060)),
        endpoint: refused)
      outbox.enqueue(ByteBuffer(string: text), to: SocketDestination(good), endpoint: clientEndpoint)
    }
    var report = UDPFlushReport()
    outbox.flush(into: &report)
    #expect(report.sent == 2)
    #expect(report.dropped == 0)
    #expect(report.failed.map(\.destination) == [refused, refused])
    #expect(report.failed.allSatisfy { $0.code == EINVAL })
    #expect(!outbox.hasPending)
    #expect(try await received.next().data == ByteBuffer(string: "one"))
    #expect(try await received.next().data == ByteBuffer(string: "two"))
    try await client.close()
    try await harness.close()
  }

  @Test func anUnexpectedListenerCloseIsReported() async throws {
    let harness = Harness()
    let bound = try await harness.layer.bind([
      Endpoint(transport: .udp, host: "127.0.0.1", port: 0),
      Endpoint(transport: .tcp, host: "127.0.0.1", port: 0),
    ])
    #expect(await harness.layer.closeListenerForTesting(bound[0]))
    #expect(try await harness.closedListeners.next() == bound[0])
    #expect(harness.layer.counters.listenersClosed == 1)
    // A shutdown closes the other one without a report.
    await harness.layer.shutdown()
    #expect(try await harness.closedListeners.pendingCount() == 0)
    #expect(harness.layer.counters.listenersClosed == 1)
    try await harness.close()
  }
}
