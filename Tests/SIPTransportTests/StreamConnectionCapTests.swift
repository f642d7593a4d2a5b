import NIOCore
import NIOPosix
import SIPCore
import Testing

@testable import SIPTransport

/// Issue 15 #6: inbound stream connections are capped overall and per source IP;
/// one over a cap is closed at once, and the others keep working.
@Suite struct StreamConnectionCapTests {
  private enum Event: Sendable {
    case closed(Int)
  }

  /// Connects from `source` and reports on `events` when the server closes it.
  private func connect(
    _ harness: Harness, to listener: Endpoint, from source: String, id: Int, events: Inbox<Event>
  ) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: harness.group)
      .bind(to: try SocketAddress(ipAddress: source, port: 0))
      .connect(host: listener.host, port: listener.port).get()
    channel.closeFuture.whenComplete { _ in events.put(.closed(id)) }
    return channel
  }

  /// A request on `channel` reaches the layer (the connection was admitted).
  private func proveAdmitted(_ channel: any Channel, _ harness: Harness) async throws -> Endpoint {
    try await channel.writeAndFlush(ByteBuffer(string: sipMessage("OPTIONS")))
    return try await harness.messages.next().source
  }

  @Test func connectionsOverTheCapsAreClosedAtOnce() async throws {
    var configuration = TransportConfiguration()
    configuration.tcpMaxConnections = 3
    configuration.tcpMaxConnectionsPerSource = 2
    let harness = Harness(configuration: configuration)
    let listener = try await harness.layer.bind([Endpoint(transport: .tcp, host: "127.0.0.1", port: 0)])[0]
    let events = Inbox<Event>(loop: harness.group.next())

    let first = try await connect(harness, to: listener, from: "127.0.0.1", id: 1, events: events)
    let second = try await connect(harness, to: listener, from: "127.0.0.1", id: 2, events: events)
    _ = try await proveAdmitted(first, harness)
    _ = try await proveAdmitted(second, harness)
    // A third from the same address is over the per-source cap.
    _ = try await connect(harness, to: listener, from: "127.0.0.1", id: 3, events: events)
    guard case .closed(3) = try await events.next() else { Issue.record("wrong connection closed"); return }

    // Another source still gets in, up to the overall cap.
    let other = try await connect(harness, to: listener, from: "127.0.0.2", id: 4, events: events)
    #expect(try await proveAdmitted(other, harness).host == "127.0.0.2")
    _ = try await connect(harness, to: listener, from: "127.0.0.3", id: 5, events: events)
    guard case .closed(5) = try await events.next() else { Issue.record("wrong connection closed"); return }

    // A slot is given back when its connection closes.
    try await first.close()
    guard case .closed(1) = try await events.next() else { Issue.record("wrong connection closed"); return }
    var again: (any Channel)?
    // The server side may see the close a moment after the client: retry a few times.
    for attempt in 0..<50 {
      let channel = try await connect(
        harness, to: listener, from: "127.0.0.1", id: 100 + attempt, events: events)
      if let event = try? await events.next(timeout: .milliseconds(100)), case .closed = event { continue }
      again = channel
      break
    }
    let admitted = try #require(again)
    #expect(try await proveAdmitted(admitted, harness).host == "127.0.0.1")

    let counters = harness.layer.counters
    #expect(counters.tcpConnectionsRefusedPerSource >= 1)
    #expect(counters.tcpConnectionsRefusedOverall == 1)
    #expect(second.isActive && other.isActive && admitted.isActive)
    try await harness.close()
  }
}
