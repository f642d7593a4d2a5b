import Glibc
import Logging
import NIOCore
import NIOPosix
import Proxy
import SIPCore
import Store
import Testing

@testable import SwitchDaemon

/// `BindingSync` (docs/registrar.md "Bindings that last"): its queue is
/// bounded and kept through a database it cannot reach; with a real
/// PostgreSQL (`DIDTRON_TEST_DATABASE_URL`) it writes the core's changes
/// and puts another switch's rows in the core's registrar.
@Suite struct BindingSyncTests {
  private static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
  private static let phone = Endpoint(transport: .udp, host: "192.0.2.7", port: 40_000)

  private final class Discard: MessageSender {
    func send(_ message: OutgoingMessage, to destination: Endpoint) {}
  }

  /// A core with a registrar of example.com on a loop of its own.
  private static func makeCore(_ group: MultiThreadedEventLoopGroup) async throws -> CoreHandle {
    let core = CoreHandle(loop: group.next())
    try await core.loop.submit {
      let proxy = ProxyCore(
        configuration: ProxyConfiguration(
          localEndpoints: [Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)]),
        sender: Discard(), clock: SystemProxyClock(),
        router: NextHopRouter(nextHop: Endpoint(transport: .udp, host: "127.0.0.1", port: 5099)),
        logger: logger,
        processTag: "t")
      proxy.registrar = Registrar(configuration: RegistrarConfiguration(domains: ["example.com"]))
      core.box.value = SwitchCore(
        loop: core.loop, inbound: InboundReceiver(proxy: proxy, decoder: InboundDecoder()))
    }.get()
    return core
  }

  private static func change(_ user: String, expiresAtUnixMs: Int64) -> BindingChange {
    BindingChange(
      addressOfRecord: "sip:\(user)@example.com",
      saved: [
        StoredBinding(
          contact: "sip:\(user)@10.0.0.1", expiresAtUnixMs: expiresAtUnixMs, qThousandths: nil, callID: "c",
          cseq: 1, source: phone)
      ], removed: [])
  }

  private static var nowUnixMs: Int64 { SystemProxyClock().unixMs }

  @Test func theQueueIsBoundedAndKeptWhileTheDatabaseIsUnreachable() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let core = try await Self.makeCore(group)
    let sync = BindingSync(
      core: core, databaseURL: "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2", nodeID: "a",
      logger: Self.logger, maxQueued: 2)
    for user in ["a", "b", "c"] {
      sync.changed(Self.change(user, expiresAtUnixMs: Self.nowUnixMs + 3_600_000))
    }
    #expect(sync.counters.dropped == 1)
    #expect(sync.counters.queued == 2)
    #expect(await sync.drain() == false)
    #expect(sync.counters.failures == 1)
    #expect(sync.counters.queued == 2)
    sync.finish()
    await sync.run()
    try await group.shutdownGracefully()
  }

  @Test(.enabled(if: getenv("DIDTRON_TEST_DATABASE_URL") != nil, "needs DIDTRON_TEST_DATABASE_URL"))
  func changesAreWrittenAndAnotherSwitchsRowsReachTheRegistrar() async throws {
    let admin = String(cString: getenv("DIDTRON_TEST_DATABASE_URL"))
    let name = "didtron_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    try PGConnection(url: admin).execute(script: "CREATE DATABASE \(name)")
    defer { try? PGConnection(url: admin).execute(script: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    let url = String(admin[..<admin.lastIndex(of: "/")!]) + "/" + name
    let root = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(
      separator: "/")
    _ = try MigrationRunner(directory: root + "/Migrations").run(databaseURL: url)
    try PGConnection(url: url).execute(
      script: """
        INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active');
        INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
        VALUES (1, 'phone', 'android', 'alice', 's3cret');
        """)
    // Another switch's binding, already in the table at start.
    try RegistrationStore(url: url).apply(
      RegistrationWrite(
        addressOfRecord: "sip:bob@example.com",
        saved: [
          RegistrationRow(
            addressOfRecord: "sip:bob@example.com", contact: "sip:bob@10.0.0.2",
            expiresAtUnixMs: Self.nowUnixMs + 3_600_000,
            qThousandths: nil, callID: "x", cseq: 3, source: Self.phone, nodeID: "b")
        ], removed: []))

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let core = try await Self.makeCore(group)
    let sync = BindingSync(core: core, databaseURL: url, nodeID: "a", logger: Self.logger)
    // Carol registered in the moment before the first read (memory only): the first read merges.
    let carol = Self.change("carol", expiresAtUnixMs: Self.nowUnixMs + 3_600_000)
    try await core.submit { $0?.proxy.loadBindings([carol.addressOfRecord: carol.saved], complete: false) }
    sync.changed(Self.change("alice", expiresAtUnixMs: Self.nowUnixMs + 3_600_000))
    #expect(await sync.drain())
    #expect(sync.counters.written == 1)
    #expect(sync.counters.queued == 0)
    let rows = try RegistrationStore(url: url).load()
    #expect(rows["sip:alice@example.com"]?.map(\.nodeID) == ["a"])
    let seen = try PGConnection(url: url).query(
      "SELECT (last_seen_at IS NOT NULL)::text FROM device_registrations WHERE sip_username = 'alice'")
    #expect(seen.string(0, 0) == "true")
    let held = try await core.submit { core -> [String] in
      (core?.proxy.registrar?.lookup("sip:bob@example.com", nowMs: SystemProxyClock().monotonicMs) ?? []).map(
        \.contact)
    }
    #expect(held == ["sip:bob@10.0.0.2"])
    let carolHeld = try await core.submit { core in
      core?.proxy.registrar?.lookup("sip:carol@example.com", nowMs: SystemProxyClock().monotonicMs).count
    }
    #expect(carolHeld == 1)
    sync.finish()
    await sync.run()
    try await group.shutdownGracefully()
  }
}
