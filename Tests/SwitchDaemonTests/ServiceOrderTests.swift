import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Proxy
import SIPCore
import ServiceLifecycle
import Testing

@testable import SwitchDaemon

/// The daemon's services in one `ServiceGroup` (issue 16 #4): graceful
/// shutdown reaches them in reverse order, the drain runs first of the
/// core's parts, and a listener that closes shuts the group down the same
/// way, with no grace, and ends it with `DaemonError.listenerClosed`.
@Suite struct ServiceOrderTests {
  private static let udp = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)
  private static let uac = Endpoint(transport: .udp, host: "127.0.0.1", port: 5090)
  private static let silent = Endpoint(transport: .udp, host: "127.0.0.1", port: 5099)
  private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

  /// Records when graceful shutdown reached it (and what the core said then).
  private struct Step: Service {
    let name: String
    let core: CoreHandle
    let log: NIOLockedValueBox<[String]>

    func run() async throws {
      try? await gracefulShutdown()
      let draining = (try? await core.submit { $0?.proxy.isDraining ?? false }) ?? false
      log.withLockedValue { $0.append("\(name)\(draining ? " (draining)" : "")") }
    }
  }

  private final class Discard: MessageSender {
    func send(_ message: OutgoingMessage, to destination: Endpoint) {}
  }

  /// A core on a loop of its own, routing every INVITE to a next hop that never answers.
  private func makeCore(_ group: MultiThreadedEventLoopGroup) async throws -> CoreHandle {
    let core = CoreHandle(loop: group.next())
    let logger = self.logger
    try await core.loop.submit {
      let proxy = ProxyCore(
        configuration: ProxyConfiguration(localEndpoints: [Self.udp]), sender: Discard(),
        clock: SystemProxyClock(), router: NextHopRouter(nextHop: Self.silent), logger: logger,
        processTag: "t")
      core.box.value = SwitchCore(
        loop: core.loop, inbound: InboundReceiver(proxy: proxy, decoder: InboundDecoder()))
    }.get()
    return core
  }

  private func group(
    core: CoreHandle, watch: ListenerWatch, graceMs: Int64, log: NIOLockedValueBox<[String]>
  ) -> ServiceGroup {
    let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
      .init(service: Step(name: "records", core: core, log: log)),
      .init(service: Step(name: "transport", core: core, log: log)),
      .init(
        service: DrainService(
          core: core, notifier: SystemdNotifier(environment: [:]), graceMs: graceMs, waitsForDialogs: true,
          listenerWatch: watch, logger: logger)),
      .init(
        service: ListenerWatchService(watch: watch, logger: logger),
        failureTerminationBehavior: .gracefullyShutdownGroup),
    ]
    return ServiceGroup(configuration: .init(services: services, logger: logger))
  }

  @Test func gracefulShutdownDrainsFirstThenStopsInReverseOrder() async throws {
    let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let core = try await makeCore(loops)
    let log = NIOLockedValueBox<[String]>([])
    let services = group(core: core, watch: ListenerWatch(), graceMs: 30_000, log: log)
    async let run: Void = services.run()
    await services.triggerGracefulShutdown()
    try await run
    #expect(log.withLockedValue { $0 } == ["transport (draining)", "records (draining)"])
    try await loops.shutdownGracefully()
  }

  @Test func aClosedListenerStopsTheGroupWithoutGraceAndFailsIt() async throws {
    let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let core = try await makeCore(loops)
    // An INVITE whose next hop never answers: a drain with grace would wait for it.
    let invite = Array(
      [
        "INVITE sip:callee@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1",
        "From: <sip:caller@127.0.0.1:5090>;tag=a", "To: <sip:callee@127.0.0.1:5070>", "Call-ID: c1",
        "CSeq: 1 INVITE", "Contact: <sip:caller@127.0.0.1:5090>", "Max-Forwards: 70", "Content-Length: 0", "",
        "",
      ].joined(separator: "\r\n").utf8)
    try await core.submit { switchCore in
      var buffer = ByteBufferAllocator().buffer(capacity: invite.count)
      buffer.writeBytes(invite)
      switchCore?.receive(.init(bytes: buffer, source: Self.uac, local: Self.udp))
    }
    // A new INVITE waits in the new-call queue for the loop's next turn.
    let pending = try await core.submit { switchCore -> Int in
      switchCore?.proxy.pendingTransactionCount ?? 0
    }
    #expect(pending > 0)
    let watch = ListenerWatch()
    let log = NIOLockedValueBox<[String]>([])
    // A grace far longer than any test: only a skipped grace lets this end.
    let services = group(core: core, watch: watch, graceMs: 3_600_000, log: log)
    async let run: Void = services.run()
    watch.listenerClosed(Self.udp)
    do {
      try await run
      Issue.record("the group ended without an error")
    } catch {
      #expect(error as? DaemonError == .listenerClosed(Self.udp))
    }
    #expect(log.withLockedValue { $0 } == ["transport (draining)", "records (draining)"])
    try await loops.shutdownGracefully()
  }
}
