import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import SIPCore
@_spi(Testing) import SIPTransport
import Testing

@testable import SwitchDaemon

/// Issue 15 #1 (c): a SIP listener that closes by itself fails the health check
/// and stops the daemon with an error (so systemd restarts it).
/// A graceful shutdown that never comes (ends only when cancelled; nothing sleeps).
@Sendable private func neverShutDown() async {
  let (stream, continuation) = AsyncStream<Int>.makeStream()
  for await _ in stream {}
  continuation.finish()
}

@Suite struct ListenerClosedTests {
  private let udp = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)

  private func health(_ watch: ListenerWatch, serving: Bool = true) throws -> MetricsEndpoints.Answer {
    let endpoints = MetricsEndpoints(
      metrics: { loop in loop.makeSucceededFuture("") },
      isServing: { loop in loop.makeSucceededFuture(serving) },
      failure: { watch.failure })
    return try endpoints.answer(method: "GET", target: "/health", on: EmbeddedEventLoop()).wait()
  }

  @Test func healthFailsOnceAListenerClosed() throws {
    let watch = ListenerWatch()
    #expect(try health(watch).status == .ok)
    watch.listenerClosed(udp)
    let answer = try health(watch)
    #expect(answer.status == .serviceUnavailable)
    #expect(answer.body == "failed: listener closed: udp:127.0.0.1:5070\n")
    // It does not come back, draining or not.
    #expect(try health(watch, serving: false).body == answer.body)
  }

  @Test func aClosedListenerStopsTheWaitWithItsName() async {
    let watch = ListenerWatch()
    let stop = Task {
      await StopReason.wait(for: neverShutDown, or: watch)
    }
    watch.listenerClosed(udp)
    #expect(await stop.value == .listenerClosed(udp))
    #expect(
      DaemonError.listenerClosed(udp).description == "SIP listener udp:127.0.0.1:5070 closed unexpectedly")
  }

  @Test func aShutdownStopsTheWaitToo() async {
    let watch = ListenerWatch()
    #expect(await StopReason.wait(for: {}, or: watch) == .shutdown)
  }

  /// The daemon's wiring end to end: the transport layer's close report reaches
  /// the watch the daemon hands it.
  @Test func theTransportLayerReportsIntoTheWatch() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let watch = ListenerWatch()
    let layer = SIPTransportLayer(
      group: group, udpLoop: group.next(),
      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
      onMessage: { _ in }, onSendFailure: { _ in },
      onListenerClosed: { watch.listenerClosed($0) })
    let bound = try await layer.bind([Endpoint(transport: .udp, host: "127.0.0.1", port: 0)])
    let stop = Task { await StopReason.wait(for: neverShutDown, or: watch) }
    #expect(await layer.closeListenerForTesting(bound[0]))
    #expect(await stop.value == .listenerClosed(bound[0]))
    #expect(try health(watch).status == .serviceUnavailable)
    await layer.shutdown()
    try await group.shutdownGracefully()
  }
}
