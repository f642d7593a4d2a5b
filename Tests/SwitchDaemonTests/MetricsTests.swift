import NIOCore
import NIOEmbedded
import NIOHTTP1
import Proxy
import SIPCore
import Testing

@testable import SwitchDaemon

@Suite("Metrics: Prometheus text, the switch's names, the HTTP endpoints, metrics.listen")
struct MetricsTests {
  @Test func familiesAreWrittenInTheTextFormat() {
    let text = PrometheusExposition.render([
      .counter("didtron_x_total", "Things seen.", 3),
      .counter("didtron_y_total", "By kind.", by: "kind", ["a": 1, "b": 0]),
      .gauge("didtron_z", "Now.", -2),
    ])
    #expect(
      text == """
        # HELP didtron_x_total Things seen.
        # TYPE didtron_x_total counter
        didtron_x_total 3
        # HELP didtron_y_total By kind.
        # TYPE didtron_y_total counter
        didtron_y_total{kind="a"} 1
        didtron_y_total{kind="b"} 0
        # HELP didtron_z Now.
        # TYPE didtron_z gauge
        didtron_z -2

        """)
  }

  @Test func helpAndLabelValuesAreEscaped() {
    let family = MetricFamily(
      name: "m", help: "a\\b\nc \"q\"", kind: .gauge,
      samples: [.init(labels: [.init("l", "x\"y\\z\nw"), .init("k", "é")], value: 1)])
    let lines = PrometheusExposition.render([family]).split(separator: "\n")
    #expect(lines[0] == #"# HELP m a\\b\nc "q""#)
    #expect(lines[2] == #"m{l="x\"y\\z\nw",k="é"} 1"#)
  }

  static func reading(softswitch: Bool) -> SwitchReading {
    var reading = SwitchReading()
    reading.core.counters.callsRefused = 10
    reading.core.counters.callRateRefusals = 2
    reading.core.counters.capacityRefusals = 3
    reading.core.counters.creditRefusals = 4
    reading.core.counters.callsAnswered = 7
    reading.core.dialogs = 5
    reading.core.malformed = 6
    reading.core.draining = true
    reading.transport.tcpConnectionsAccepted = 8
    reading.transport.tlsHandshakeFailures = 4
    reading.tlsCertificateNotAfter = 1_900_000_000
    reading.core.overload.shedding = true
    reading.core.overload.admittedRateLimit = 1_234
    reading.core.overload.counters.statelessReplies = 41
    reading.core.overload.counters.statelessAcksAbsorbed = 40
    reading.core.overload.loopCPUPercent = 87
    if softswitch {
      var status = SnapshotStatus()
      status.prefixes = 1_000_000
      status.failedReloads = 1
      reading.snapshot = status
      reading.mode = "softswitch"
      reading.core.bindingStore = BindingSync.Counters(written: 9, dropped: 2, failures: 1, queued: 3)
    }
    return reading
  }

  static func value(_ families: [MetricFamily], _ name: String, _ label: String? = nil) -> Int64? {
    families.first { $0.name == name }?.samples.first { sample in
      label.map { wanted in sample.labels.contains { $0.value == wanted } } ?? true
    }?.value
  }

  @Test func theSwitchsNamesAreUniqueAndCountersEndInTotal() {
    let families = Self.reading(softswitch: true).families
    #expect(Set(families.map(\.name)).count == families.count)
    for family in families {
      #expect(family.name.hasPrefix("didtron_"))
      #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
      #expect(
        family.name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") },
        "\(family.name)")
    }
  }

  @Test func theReadingsValuesAreWhereTheirNamesSay() {
    let families = Self.reading(softswitch: true).families
    #expect(Self.value(families, "didtron_calls_refused_total", "cps") == 2)
    #expect(Self.value(families, "didtron_calls_refused_total", "capacity") == 3)
    #expect(Self.value(families, "didtron_calls_refused_total", "credit") == 4)
    #expect(Self.value(families, "didtron_calls_refused_total", "other") == 1)
    #expect(Self.value(families, "didtron_calls_answered_total") == 7)
    #expect(Self.value(families, "didtron_calls_active") == 5)
    #expect(Self.value(families, "didtron_sip_malformed_total") == 6)
    #expect(Self.value(families, "didtron_draining") == 1)
    #expect(Self.value(families, "didtron_transport_tcp_connections_total", "inbound") == 8)
    #expect(Self.value(families, "didtron_snapshot_rows", "routing_prefixes") == 1_000_000)
    #expect(Self.value(families, "didtron_snapshot_reloads_total", "failed") == 1)
    #expect(Self.value(families, "didtron_info", "softswitch") == 1)
    #expect(Self.value(families, "didtron_overload_shedding") == 1)
    #expect(Self.value(families, "didtron_overload_admitted_invites_per_second") == 1_234)
    #expect(Self.value(families, "didtron_overload_stateless_replies_total") == 41)
    #expect(Self.value(families, "didtron_overload_stateless_acks_absorbed_total") == 40)
    #expect(Self.value(families, "didtron_overload_loop_cpu_percent") == 87)
    #expect(Self.value(families, "didtron_registrar_store_writes_total", "written") == 9)
    #expect(Self.value(families, "didtron_registrar_store_writes_total", "dropped") == 2)
    #expect(Self.value(families, "didtron_registrar_store_queued") == 3)
    #expect(Self.value(families, "didtron_registrar_store_failures_total") == 1)
    #expect(Self.value(families, "didtron_tls_handshakes_total", "failed") == 4)
    #expect(Self.value(families, "didtron_tls_certificate_expiry_time_seconds") == 1_900_000_000)
  }

  @Test func theOverloadReadingShowsTheAdmittedRateLimit() {
    let overload = OverloadGuard(settings: OverloadSettings(maxQueueDelayMs: 20, minInvitesPerSecond: 25))
    var newCalls = NewCallQueue(capacity: 2)
    #expect(OverloadReading(overload, newCalls: newCalls).admittedRateLimit == 0)
    for _ in 0..<10 { overload.observeLoop(lagMs: 0, queueDelayMs: 100, cpuPercent: 64.6) }
    for _ in 0..<3 { newCalls.append(NewCallQueueTests.message("INVITE"), nowNs: 0) }
    let reading = OverloadReading(overload, newCalls: newCalls)
    #expect(reading.shedding)
    #expect(reading.admittedRateLimit == 25)
    #expect(reading.loopCPUPercent == 65)
    #expect(reading.queuedNewCalls == 2)
    #expect(reading.newCallsDropped == 1)
  }

  @Test func proxyModeHasNoDatabaseFamilies() {
    let names = Self.reading(softswitch: false).families.map(\.name)
    #expect(names.contains("didtron_calls_answered_total"))
    #expect(
      !names.contains {
        $0.hasPrefix("didtron_snapshot_") || $0.hasPrefix("didtron_call_records_")
          || $0.hasPrefix("didtron_registrar_store_")
      })
  }

  // MARK: HTTP

  static func channel(serving: Bool = true) throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    let endpoints = MetricsEndpoints(
      metrics: { loop in loop.makeSucceededFuture("didtron_x_total 1\n") },
      isServing: { loop in loop.makeSucceededFuture(serving) })
    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(endpoints: endpoints))
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9464)).wait()
    #expect(channel.isActive)
    return channel
  }

  /// Sends `request`, returns everything the server wrote.
  static func exchange(_ request: String, on channel: EmbeddedChannel) throws -> String {
    try channel.writeInbound(ByteBuffer(string: request))
    var out = ""
    while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
      out += buffer.readString(length: buffer.readableBytes) ?? ""
    }
    return out
  }

  @Test func getMetricsAnswersTheTextFormat() throws {
    let channel = try Self.channel()
    let answer = try Self.exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", on: channel)
    #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
    #expect(answer.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
    #expect(answer.contains("Content-Length: 18\r\n"))
    #expect(answer.hasSuffix("\r\n\r\ndidtron_x_total 1\n"))
    // Keep-alive: a second request on the same connection is answered too.
    let again = try Self.exchange("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", on: channel)
    #expect(again.hasPrefix("HTTP/1.1 200 OK\r\n"))
    #expect(channel.isActive)
    _ = try? channel.finish()
  }

  @Test func healthSaysServingOrDraining() throws {
    let serving = try Self.exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", on: Self.channel())
    #expect(serving.hasPrefix("HTTP/1.1 200 OK\r\n") && serving.hasSuffix("\r\n\r\nok\n"))
    let draining = try Self.exchange(
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", on: Self.channel(serving: false))
    #expect(draining.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n") && draining.hasSuffix("draining\n"))
  }

  @Test func otherPathsAndMethodsAreRefused() throws {
    let missing = try Self.exchange("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", on: Self.channel())
    #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
    let post = try Self.exchange(
      "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", on: Self.channel())
    #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && post.contains("Allow: GET, HEAD\r\n"))
  }

  @Test func headHasNoBodyAndConnectionCloseCloses() throws {
    let head = try Self.exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", on: Self.channel())
    #expect(head.contains("Content-Length: 18\r\n") && head.hasSuffix("\r\n\r\n"))
    let channel = try Self.channel()
    let closing = try Self.exchange(
      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", on: channel)
    #expect(closing.contains("Connection: close\r\n"))
    #expect(!channel.isActive)
  }

  @Test func garbageGets400AndTheConnectionCloses() throws {
    let channel = try Self.channel()
    try channel.writeInbound(ByteBuffer(string: "\u{1}\u{2} nonsense\r\n\r\n"))
    var out = ""
    while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
      out += buffer.readString(length: buffer.readableBytes) ?? ""
    }
    #expect(out.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    #expect(!channel.isActive)
  }

  // MARK: metrics.listen

  static func load(metrics: String, listen: [String]? = nil) throws -> SwitchConfig {
    var overrides: [SwitchConfig.Override] = [
      .init(key: "metrics.listen", value: .string(metrics), origin: .commandLine("--metrics-listen"))
    ]
    if let listen {
      overrides.append(.init(key: "sip.listen", value: .strings(listen), origin: .commandLine("--listen")))
    }
    return try SwitchConfig.load(
      file: ConfigFile(parsing: "[proxy]\nnext_hop = \"127.0.0.1:5080\"\n", path: "t.toml"), environment: [:],
      overrides: overrides)
  }

  @Test(arguments: [
    ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:0", "::1", 0), ("localhost:80", "localhost", 80),
  ])
  func anAddressIsHostAndPort(_ text: String, _ host: String, _ port: Int) throws {
    let config = try Self.load(metrics: text)
    #expect(config.metrics.listen?.host == host && config.metrics.listen?.port == port)
  }

  @Test func emptyTurnsItOff() throws {
    #expect(try Self.load(metrics: "").metrics.listen == nil)
    #expect(SwitchConfig().metrics.listen == nil)
  }

  @Test(arguments: ["9464", "::1:80", "127.0.0.1:65536", "127.0.0.1:", ":9464", "[]:80", "a b:80"])
  func aBadAddressIsAnErrorNamingTheKey(_ text: String) {
    #expect {
      try Self.load(metrics: text)
    } throws: { error in
      "\(error)".contains("metrics.listen") && "\(error)".contains("--metrics-listen")
    }
  }

  @Test func aSIPTCPListenerOnTheSamePortIsAnError() {
    #expect {
      try Self.load(metrics: "127.0.0.1:5070", listen: ["udp:127.0.0.1:5070", "tcp:127.0.0.1:5070"])
    } throws: { error in
      "\(error)".contains("metrics.listen") && "\(error)".contains("SIP listener")
    }
    #expect(throws: Never.self) {
      try Self.load(metrics: "127.0.0.1:5070", listen: ["udp:127.0.0.1:5070"])
    }
  }
}
