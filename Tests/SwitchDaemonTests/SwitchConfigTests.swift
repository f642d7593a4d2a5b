import Logging
import SIPCore
import SwitchDaemon
import Testing

@Suite("SwitchConfig: loading, precedence and validation")
struct SwitchConfigTests {
  /// The smallest file that validates.
  static let minimal = "[proxy]\nnext_hop = \"127.0.0.1:5080\"\n"

  static func config(_ change: (inout SwitchConfig) -> Void) -> SwitchConfig {
    var config = SwitchConfig()
    config.proxy.nextHop = Endpoint(transport: .udp, host: "127.0.0.1", port: 5080)
    change(&config)
    return config
  }

  static func load(
    _ text: String?, environment: [String: String] = [:], overrides: [SwitchConfig.Override] = []
  ) throws -> SwitchConfig {
    let file = try text.map { try ConfigFile(parsing: $0, path: "test.toml") }
    return try SwitchConfig.load(file: file, environment: environment, overrides: overrides)
  }

  @Test func defaultsAreTheDocumentedOnes() {
    let config = SwitchConfig()
    #expect(config.sip.listen.map(\.description) == ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"])
    #expect(config.sip.advertisedAddress == nil)
    #expect(config.sip.maxMessageSize == 65535)
    #expect(config.sip.udpReceiveBufferBytes == 4_194_304)
    #expect(config.sip.tcpIdleTimeout == .seconds(600))
    #expect(config.proxy.nextHop == nil)
    #expect(config.proxy.inviteTimeout == .seconds(180))
    #expect(config.proxy.maxDialogLifetime == .seconds(14400))
    #expect(config.proxy.timers.t1 == 500 && config.proxy.timers.t2 == 4000 && config.proxy.timers.t4 == 5000)
    #expect(config.proxy.maxForwards == 70)
    #expect(config.proxy.serverHeader == "")
    #expect(config.database.url == nil)
    #expect(config.database.journalDirectory == "/var/lib/didtron-switch/journal")
    #expect(config.database.notifyChannel == "didtron_reload")
    #expect(config.database.writerBatchSize == 500)
    #expect(config.lifecycle.shutdownGrace == .seconds(30))
    #expect(config.lifecycle.retryAfterSeconds == 30)
    #expect(config.log.level == .info)
    #expect(config.log.format == .text)
  }

  struct Loaded: Sendable, CustomTestStringConvertible {
    var name: String
    var file: String?
    var environment: [String: String] = [:]
    var overrides: [SwitchConfig.Override] = []
    var expected: SwitchConfig
    var testDescription: String { name }
  }

  static let loaded: [Loaded] = [
    .init(name: "only next_hop: everything else defaults", file: minimal, expected: config { _ in }),
    .init(
      name: "every key in the file",
      file: """
        [sip]
        listen = ["udp:[::1]:5070", "tcp:10.0.0.1:5071", "127.0.0.1:5072"]
        advertised_address = "[2001:db8::1]"
        max_message_size = 8192
        udp_receive_buffer_bytes = 1048576
        tcp_idle_timeout_seconds = 60
        tcp_message_timeout_ms = 2000
        tcp_max_connections = 100
        tcp_max_connections_per_source = 10
        [proxy]
        next_hop = "gw.example.net:5080;transport=tcp"
        invite_timeout_seconds = 30
        t1_ms = 250
        t2_ms = 250
        t4_ms = 1000
        max_forwards = 20
        server_header = ""
        [lifecycle]
        shutdown_grace_seconds = 0
        retry_after_seconds = 5
        [log]
        level = "WARNING"
        format = "text"
        """,
      expected: config {
        $0.sip.listen = [
          Endpoint(transport: .udp, host: "::1", port: 5070),
          Endpoint(transport: .tcp, host: "10.0.0.1", port: 5071),
          Endpoint(transport: .udp, host: "127.0.0.1", port: 5072),
        ]
        $0.sip.advertisedAddress = "2001:db8::1"
        $0.sip.maxMessageSize = 8192
        $0.sip.udpReceiveBufferBytes = 1_048_576
        $0.sip.tcpIdleTimeout = .seconds(60)
        $0.sip.tcpMessageTimeoutMs = 2000
        $0.sip.tcpMaxConnections = 100
        $0.sip.tcpMaxConnectionsPerSource = 10
        $0.proxy.nextHop = Endpoint(transport: .tcp, host: "gw.example.net", port: 5080)
        $0.proxy.inviteTimeout = .seconds(30)
        $0.proxy.timers = .init(t1: 250, t2: 250, t4: 1000)
        $0.proxy.maxForwards = 20
        $0.proxy.serverHeader = ""
        $0.lifecycle.shutdownGrace = .zero
        $0.lifecycle.retryAfterSeconds = 5
        $0.log.level = .warning
      }),
    .init(
      name: "environment beats the file",
      file: minimal + "[log]\nlevel = \"debug\"\n",
      environment: [
        "DIDTRON_PROXY_NEXT_HOP": "10.1.1.1:5060",
        "DIDTRON_SIP_LISTEN": "udp:127.0.0.1:5070, tcp:127.0.0.1:5070",
        "DIDTRON_PROXY_T1_MS": " 100 ",
        "DIDTRON_LOG_LEVEL": "error",
        "DIDTRON_BIN": "/not/a/config/key",
        "PATH": "/usr/bin",
      ],
      expected: config {
        $0.proxy.nextHop = Endpoint(transport: .udp, host: "10.1.1.1", port: 5060)
        $0.sip.listen = [
          Endpoint(transport: .udp, host: "127.0.0.1", port: 5070),
          Endpoint(transport: .tcp, host: "127.0.0.1", port: 5070),
        ]
        $0.proxy.timers.t1 = 100
        $0.log.level = .error
      }),
    .init(
      name: "the environment alone, without a file",
      file: nil,
      environment: ["DIDTRON_PROXY_NEXT_HOP": "127.0.0.1:5080"],
      expected: config { _ in }),
    .init(
      name: "the command line beats the environment and the file",
      file: minimal + "[sip]\nlisten = [\"udp:127.0.0.1:5060\"]\n",
      environment: ["DIDTRON_PROXY_NEXT_HOP": "10.1.1.1:5060", "DIDTRON_PROXY_INVITE_TIMEOUT_SECONDS": "90"],
      overrides: [
        .init(key: "sip.listen", value: .strings(["tcp:127.0.0.1:5090"]), origin: .commandLine("--listen")),
        .init(key: "proxy.next_hop", value: .string("10.2.2.2:5060"), origin: .commandLine("--next-hop")),
        .init(
          key: "proxy.invite_timeout_seconds", value: .integer(5), origin: .commandLine("--invite-timeout")),
      ],
      expected: config {
        $0.sip.listen = [Endpoint(transport: .tcp, host: "127.0.0.1", port: 5090)]
        $0.proxy.nextHop = Endpoint(transport: .udp, host: "10.2.2.2", port: 5060)
        $0.proxy.inviteTimeout = .seconds(5)
      }),
  ]

  @Test(arguments: loaded)
  func loads(_ c: Loaded) throws {
    let config = try Self.load(c.file, environment: c.environment, overrides: c.overrides)
    #expect(config == c.expected)
  }

  struct Failing: Sendable, CustomTestStringConvertible {
    var file: String?
    var environment: [String: String] = [:]
    var overrides: [SwitchConfig.Override] = []
    /// The whole line the operator reads.
    var error: String
    var key: String?
    var testDescription: String { error }
  }

  static let failing: [Failing] = [
    .init(
      file: "[proxy]\nnext_hop = \"127.0.0.1:99999\"",
      error: #"test.toml:2: proxy.next_hop: "127.0.0.1:99999" is not a valid host:port"#,
      key: "proxy.next_hop"),
    .init(
      file: minimal + "nexthop = \"x\"",
      error: "test.toml:3: proxy.nexthop: unknown key", key: "proxy.nexthop"),
    .init(
      file: minimal + "[sips]\nlisten = []",
      error: "test.toml:4: sips.listen: unknown key", key: "sips.listen"),
    .init(
      file: "listen = []\n" + minimal,
      error: "test.toml:1: listen: unknown key", key: "listen"),
    .init(
      file: minimal + "max_forwards = \"70\"",
      error: #"test.toml:3: proxy.max_forwards: expected an integer, found a string "70""#,
      key: "proxy.max_forwards"),
    .init(
      file: minimal + "[sip]\nlisten = \"udp:127.0.0.1:5060\"",
      error: #"test.toml:4: sip.listen: expected an array of strings, found a string "udp:127.0.0.1:5060""#,
      key: "sip.listen"),
    .init(
      file: minimal + "[sip]\nlisten = []",
      error: "test.toml:4: sip.listen: must name at least one endpoint", key: "sip.listen"),
    .init(
      file: minimal + "[sip]\nlisten = [\"udp:127.0.0.1:5060\", \"bogus:1:2:3\"]",
      error:
        #"test.toml:4: sip.listen: "bogus:1:2:3" is not a valid endpoint (expected udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT)"#,
      key: "sip.listen"),
    .init(
      file: minimal + "[sip]\nlisten = [\"udp:127.0.0.1:5060\", \"udp:127.0.0.1:5060\"]",
      error: "test.toml:4: sip.listen: udp:127.0.0.1:5060 is listed twice", key: "sip.listen"),
    .init(
      file: minimal + "[sip]\nlisten = [\"tls:127.0.0.1:5061\"]",
      error: "tls.certificate_file: is required by a tls: listener in sip.listen", key: "tls.certificate_file"
    ),
    .init(
      file: minimal + "[tls]\ncertificate_file = \"/etc/switch.pem\"",
      error: "tls.private_key_file: is required with tls.certificate_file", key: "tls.private_key_file"),
    .init(
      file: minimal + "[sip]\nadvertised_address = \"203.0.113.7:5060\"",
      error:
        #"test.toml:4: sip.advertised_address: "203.0.113.7:5060" is not a host name or IP address (no port)"#,
      key: "sip.advertised_address"),
    .init(
      file: minimal + "[sip]\nmax_message_size = 100",
      error: "test.toml:4: sip.max_message_size: must be between 1024 and 16777216 (got 100)",
      key: "sip.max_message_size"),
    .init(
      file: minimal + "[sip]\nudp_receive_buffer_bytes = 0",
      error: "test.toml:4: sip.udp_receive_buffer_bytes: must be between 1 and 2147483647 (got 0)",
      key: "sip.udp_receive_buffer_bytes"),
    .init(
      file: minimal + "[sip]\ntcp_idle_timeout_seconds = -1",
      error: "test.toml:4: sip.tcp_idle_timeout_seconds: must be between 1 and 86400 seconds (got -1)",
      key: "sip.tcp_idle_timeout_seconds"),
    .init(
      file: minimal + "[sip]\ntcp_message_timeout_ms = 0",
      error: "test.toml:4: sip.tcp_message_timeout_ms: must be between 100 and 600000 (got 0)",
      key: "sip.tcp_message_timeout_ms"),
    .init(
      file: minimal + "[sip]\ntcp_max_connections = 10\ntcp_max_connections_per_source = 11",
      error:
        "test.toml:5: sip.tcp_max_connections_per_source: must be between 1 and sip.tcp_max_connections (10) (got 11)",
      key: "sip.tcp_max_connections_per_source"),
    .init(
      file: "[proxy]\nnext_hop = \"\"",
      error:
        #"test.toml:2: proxy.next_hop: is required without database.url (the next SIP hop, e.g. "127.0.0.1:5080")"#,
      key: "proxy.next_hop"),
    .init(
      file: nil,
      error: #"proxy.next_hop: is required without database.url (the next SIP hop, e.g. "127.0.0.1:5080")"#,
      key: "proxy.next_hop"),
    .init(
      file: minimal + "invite_timeout_seconds = 0",
      error: "test.toml:3: proxy.invite_timeout_seconds: must be between 1 and 86400 seconds (got 0)",
      key: "proxy.invite_timeout_seconds"),
    .init(
      file: minimal + "invite_timeout_seconds = 9223372036854775807",
      error:
        "test.toml:3: proxy.invite_timeout_seconds: must be between 1 and 86400 seconds (got 9223372036854775807)",
      key: "proxy.invite_timeout_seconds"),
    .init(
      file: minimal + "max_dialog_lifetime_seconds = 0",
      error: "test.toml:3: proxy.max_dialog_lifetime_seconds: must be between 60 and 604800 seconds (got 0)",
      key: "proxy.max_dialog_lifetime_seconds"),
    .init(
      file: minimal + "limit_reject_status = 200",
      error: "test.toml:3: proxy.limit_reject_status: must be a SIP failure status 400-699 (got 200)",
      key: "proxy.limit_reject_status"),
    .init(
      file: minimal + "capacity_retry_after_seconds = -1",
      error: "test.toml:3: proxy.capacity_retry_after_seconds: must be between 0 and 86400 (got -1)",
      key: "proxy.capacity_retry_after_seconds"),
    .init(
      file: minimal + "t1_ms = 5000\nt2_ms = 4000",
      error: "test.toml:4: proxy.t2_ms: must be at least proxy.t1_ms (5000) and at most 600000 (got 4000)",
      key: "proxy.t2_ms"),
    .init(
      file: minimal + "t1_ms = 0",
      error: "test.toml:3: proxy.t1_ms: must be between 1 and 60000 (got 0)", key: "proxy.t1_ms"),
    .init(
      file: minimal + "t4_ms = -5",
      error: "test.toml:3: proxy.t4_ms: must be between 1 and 600000 (got -5)", key: "proxy.t4_ms"),
    .init(
      file: minimal + "max_forwards = 0",
      error: "test.toml:3: proxy.max_forwards: must be between 1 and 255 (got 0)", key: "proxy.max_forwards"),
    .init(
      file: minimal + "server_header = \"evil\\r\\nX-Injected: 1\"",
      error: "test.toml:3: proxy.server_header: must not contain control characters",
      key: "proxy.server_header"),
    .init(
      file: minimal + "[lifecycle]\nshutdown_grace_seconds = -1",
      error: "test.toml:4: lifecycle.shutdown_grace_seconds: must be between 0 and 3600 seconds (got -1)",
      key: "lifecycle.shutdown_grace_seconds"),
    .init(
      file: minimal + "[lifecycle]\nretry_after_seconds = 0",
      error: "test.toml:4: lifecycle.retry_after_seconds: must be between 1 and 86400 (got 0)",
      key: "lifecycle.retry_after_seconds"),
    .init(
      file: minimal + "[log]\nlevel = \"verbose\"",
      error:
        #"test.toml:4: log.level: "verbose" is not a log level (trace, debug, info, notice, warning, error, critical)"#,
      key: "log.level"),
    .init(
      file: minimal + "[log]\nformat = \"json\"",
      error: #"test.toml:4: log.format: "json" is not a log format (text)"#, key: "log.format"),
    .init(
      file: minimal, environment: ["DIDTRON_LOG_LEVEL": "loud"],
      error:
        #"environment DIDTRON_LOG_LEVEL: log.level: "loud" is not a log level (trace, debug, info, notice, warning, error, critical)"#,
      key: "log.level"),
    .init(
      file: minimal, environment: ["DIDTRON_PROXY_T1_MS": "fast"],
      error: #"environment DIDTRON_PROXY_T1_MS: proxy.t1_ms: expected an integer, found "fast""#,
      key: "proxy.t1_ms"),
    .init(
      file: minimal, environment: ["DIDTRON_PROXY_NEXTHOP": "10.0.0.1"],
      error: "environment DIDTRON_PROXY_NEXTHOP: names no configuration key (see etc/didtron-switch.toml)"),
    .init(
      file: minimal, environment: ["DIDTRON_SIP_LISTEN": " , "],
      error: "environment DIDTRON_SIP_LISTEN: sip.listen: must name at least one endpoint", key: "sip.listen"),
    .init(
      file: minimal,
      overrides: [
        .init(
          key: "sip.listen", value: .strings(["udp:127.0.0.1", "udp:127.0.0.1:5060"]),
          origin: .commandLine("--listen"))
      ],
      error: "option --listen: sip.listen: udp:127.0.0.1:5060 is listed twice", key: "sip.listen"),
    .init(
      file: minimal,
      overrides: [.init(key: "proxy.next_hop", value: .string("a:b"), origin: .commandLine("--next-hop"))],
      error: #"option --next-hop: proxy.next_hop: "a:b" is not a valid host:port"#, key: "proxy.next_hop"),
    .init(
      file: minimal + "[health]\nfailures_to_down = 0",
      error: "test.toml:4: health.failures_to_down: must be between 1 and 100 (got 0)",
      key: "health.failures_to_down"),
    .init(
      file: minimal + "[health]\nprobe_timeout_ms = 10",
      error: "test.toml:4: health.probe_timeout_ms: must be between 50 and 60000 (got 10)",
      key: "health.probe_timeout_ms"),
    .init(
      file: minimal + "[capture]\nhep_address = \"homer.example:9060\"",
      error:
        #"test.toml:4: capture.hep_address: "homer.example:9060" is not an IP address and UDP port (HOST:PORT)"#,
      key: "capture.hep_address"),
    .init(
      file: minimal + "[capture]\nhep_address = \"127.0.0.1:0\"",
      error:
        #"test.toml:4: capture.hep_address: "127.0.0.1:0" is not an IP address and UDP port (HOST:PORT)"#,
      key: "capture.hep_address"),
    .init(
      file: minimal + "[capture]\nhep_queue_size = 0",
      error: "test.toml:4: capture.hep_queue_size: must be between 1 and 1000000 (got 0)",
      key: "capture.hep_queue_size"),
  ]

  @Test(arguments: failing)
  func rejects(_ c: Failing) {
    #expect {
      try Self.load(c.file, environment: c.environment, overrides: c.overrides)
    } throws: { error in
      guard let error = error as? ConfigError else { return false }
      return error.description == c.error && error.key == c.key
    }
  }

  /// The effective configuration printed by `check-config` reads back to the same value.
  @Test func renderedConfigurationReadsBack() throws {
    let config = try Self.load(
      "[sip]\nlisten = [\"udp:[::1]:5070\"]\nadvertised_address = \"sip.example.net\"\n"
        + "[proxy]\nnext_hop = \"[::1]:5080;transport=tcp\"\nserver_header = \"a \\\"quoted\\\" name\"\n"
        + "t1_ms = 100\n[log]\nlevel = \"trace\"")
    #expect(config.proxy.nextHop == Endpoint(transport: .tcp, host: "::1", port: 5080))
    let again = try Self.load(config.tomlText)
    #expect(again == config)
  }

  @Test func everyKeyHasItsEnvironmentName() {
    let names = ConfigKey.all.map(\.environmentName)
    #expect(names.contains("DIDTRON_PROXY_NEXT_HOP"))
    #expect(names.contains("DIDTRON_SIP_UDP_RECEIVE_BUFFER_BYTES"))
    #expect(names.contains("DIDTRON_PROXY_LIMIT_REJECT_STATUS"))
    #expect(Set(names).count == ConfigKey.all.count)
    #expect(names.contains("DIDTRON_CREDIT_RESERVATION_STEP_SECONDS"))
    #expect(names.contains("DIDTRON_REGISTRAR_DOMAINS"))
    #expect(names.contains("DIDTRON_METRICS_LISTEN"))
    #expect(names.contains("DIDTRON_REGISTRAR_AUTHENTICATION"))
    #expect(names.contains("DIDTRON_SIP_TCP_MAX_CONNECTIONS_PER_SOURCE"))
    #expect(names.contains("DIDTRON_REGISTRAR_AUTH_FAILURE_LIMIT"))
    #expect(names.contains("DIDTRON_OVERLOAD_MAX_INVITES_PER_SECOND"))
    #expect(names.contains("DIDTRON_OVERLOAD_MIN_INVITES_PER_SECOND"))
    #expect(names.contains("DIDTRON_PROXY_MAX_DIALOG_LIFETIME_SECONDS"))
    #expect(names.contains("DIDTRON_RETAIL_EMERGENCY_NUMBERS"))
    #expect(names.contains("DIDTRON_REGISTRAR_MD5_ONLY_USER_AGENTS"))
    #expect(names.contains("DIDTRON_ADMIN_TOKEN_FILE"))
    #expect(names.contains("DIDTRON_HEALTH_FAILURES_TO_DOWN"))
    #expect(names.contains("DIDTRON_CAPTURE_HEP_ADDRESS"))
    #expect(names.contains("DIDTRON_TLS_CERTIFICATE_FILE"))
    #expect(names.contains("DIDTRON_TLS_PRIVATE_KEY_FILE"))
    #expect(ConfigKey.all.count == 80)
  }

  @Test func aRegistrarWithoutADatabaseNeedsAuthenticationNone() throws {
    let text = "[proxy]\nnext_hop = \"127.0.0.1:5080\"\n[registrar]\ndomains = [\"example.com\"]\n"
    #expect(throws: ConfigError.self) { try Self.load(text).validate() }
    let open = try Self.load(text + "authentication = \"none\"\n")
    try open.validate()
    #expect(open.registrar.authentication == .none)
    let softswitch = try Self.load(text + "[database]\nurl = \"postgresql://db/didtron\"\n")
    try softswitch.validate()
    #expect(softswitch.registrar.authentication == .digest)
    #expect(softswitch.registrar.digestAlgorithms == ["SHA-256", "MD5"])
    #expect(softswitch.registrar.nonceLifetimeSeconds == 300)
    #expect(softswitch.registrar.authFailureLimit == 5 && softswitch.registrar.authBlockSeconds == 60)
    #expect(
      softswitch.registrar.authMaxBlockSeconds == 3600 && softswitch.registrar.authThrottleEntries == 10_000)
  }

  @Test(arguments: [
    ("[registrar]\ndomains = [\"a b\"]", "registrar.domains"),
    ("[registrar]\nmin_expires_seconds = 0", "registrar.min_expires_seconds"),
    (
      "[registrar]\nmin_expires_seconds = 600\ndefault_expires_seconds = 300",
      "registrar.default_expires_seconds"
    ),
    ("[registrar]\nmax_contacts = 1000", "registrar.max_contacts"),
    ("[registrar]\ndomains = [\"example.com\"]", "registrar.authentication"),
    ("[registrar]\nauthentication = \"basic\"", "registrar.authentication"),
    ("[registrar]\ndigest_algorithms = [\"SHA-512\"]", "registrar.digest_algorithms"),
    ("[registrar]\ndigest_algorithms = []", "registrar.digest_algorithms"),
    ("[registrar]\ndigest_algorithms = [\"MD5\", \"md5\"]", "registrar.digest_algorithms"),
    ("[registrar]\nnonce_lifetime_seconds = 5", "registrar.nonce_lifetime_seconds"),
    ("[registrar]\nauth_failure_limit = -1", "registrar.auth_failure_limit"),
    (
      "[registrar]\nauth_block_seconds = 600\nauth_max_block_seconds = 60", "registrar.auth_max_block_seconds"
    ),
    ("[registrar]\nauth_throttle_entries = 1", "registrar.auth_throttle_entries"),
    ("[credit]\nreservation_step_seconds = 0", "credit.reservation_step_seconds"),
    ("[credit]\nreservation_step_seconds = 2\nextend_lead_ms = 2000", "credit.extend_lead_ms"),
    ("[credit]\nsync_interval_ms = 50", "credit.sync_interval_ms"),
    ("[credit]\nnode_id = \"a b\"", "credit.node_id"),
  ])
  func badCreditKeysAreNamed(text: String, key: String) throws {
    // (and the registrar's)
    do {
      try Self.load("[proxy]\nnext_hop = \"127.0.0.1:5080\"\n" + text).validate()
      Issue.record("validated: \(text)")
    } catch let error as ConfigError {
      #expect(error.key == key)
    }
  }
}
