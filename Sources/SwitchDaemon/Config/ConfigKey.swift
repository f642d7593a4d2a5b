import Logging
import SIPCore

/// One configuration key: its `section.key` name, the kind of value it takes,
/// and how to read and write it on a `SwitchConfig`. `ConfigKey.all` is the
/// single table that the file, the environment, the command line and the
/// rendering of the effective configuration all go through.
public struct ConfigKey: Sendable {
  /// `section.key`, as in the file (`proxy.next_hop`).
  public let name: String
  public let kind: ConfigValue.Kind
  let get: @Sendable (SwitchConfig) -> ConfigValue
  /// Stores a value already known to be of `kind`; throws a `ConfigError` with
  /// only a message when the value cannot be parsed (ranges are `validate()`'s).
  let set: @Sendable (inout SwitchConfig, ConfigValue) throws -> Void

  /// `proxy.next_hop` -> `proxy`.
  public var section: String { String(name.prefix { $0 != "." }) }

  /// `DIDTRON_<SECTION>_<KEY>`: `proxy.next_hop` -> `DIDTRON_PROXY_NEXT_HOP`.
  public var environmentName: String {
    "DIDTRON_" + name.uppercased().replacing(".", with: "_")
  }

  public static func named(_ name: String) -> ConfigKey? {
    all.first { $0.name == name }
  }

  /// Every key, in the order of the example file.
  public static let all: [ConfigKey] = core + SwitchConfig.operationsKeys

  /// The keys of the sections up to `[log]`.
  private static let core: [ConfigKey] = [
    strings(
      "sip.listen", get: { $0.sip.listen.map(\.description) },
      set: { config, texts in
        config.sip.listen = try texts.map { text in
          guard let endpoint = Endpoint(parsing: text) else {
            throw ConfigError(
              "\(ConfigValue.quote(text)) is not a valid endpoint (expected udp:HOST:PORT, tcp:HOST:PORT or tls:HOST:PORT)"
            )
          }
          return endpoint
        }
      }),
    string(
      "sip.advertised_address", get: { $0.sip.advertisedAddress ?? "" },
      set: { config, text in
        var host = Substring(text)
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        config.sip.advertisedAddress = host.isEmpty ? nil : String(host)
      }),
    integer("sip.max_message_size", get: { $0.sip.maxMessageSize }, set: { $0.sip.maxMessageSize = $1 }),
    integer(
      "sip.udp_receive_buffer_bytes", get: { $0.sip.udpReceiveBufferBytes },
      set: { $0.sip.udpReceiveBufferBytes = $1 }),
    integer(
      "sip.tcp_idle_timeout_seconds", get: { seconds($0.sip.tcpIdleTimeout) },
      set: { $0.sip.tcpIdleTimeout = .seconds($1) }),
    integer(
      "sip.tcp_message_timeout_ms", get: { $0.sip.tcpMessageTimeoutMs },
      set: { $0.sip.tcpMessageTimeoutMs = $1 }),
    integer(
      "sip.tcp_max_connections", get: { $0.sip.tcpMaxConnections }, set: { $0.sip.tcpMaxConnections = $1 }),
    integer(
      "sip.tcp_max_connections_per_source", get: { $0.sip.tcpMaxConnectionsPerSource },
      set: { $0.sip.tcpMaxConnectionsPerSource = $1 }),

    string(
      "proxy.next_hop", get: { $0.proxy.nextHop.map(nextHopText) ?? "" },
      set: { config, text in
        guard !text.isEmpty else {
          config.proxy.nextHop = nil
          return
        }
        guard let endpoint = Endpoint(parsing: text) else {
          throw ConfigError("\(ConfigValue.quote(text)) is not a valid host:port")
        }
        config.proxy.nextHop = endpoint
      }),
    integer(
      "proxy.invite_timeout_seconds", get: { seconds($0.proxy.inviteTimeout) },
      set: { $0.proxy.inviteTimeout = .seconds($1) }),
    integer(
      "proxy.failover_timeout_ms", get: { $0.proxy.failoverTimeoutMs },
      set: { $0.proxy.failoverTimeoutMs = $1 }),
    integer(
      "proxy.max_dialog_lifetime_seconds", get: { seconds($0.proxy.maxDialogLifetime) },
      set: { $0.proxy.maxDialogLifetime = .seconds($1) }),
    integer(
      "proxy.limit_reject_status", get: { $0.proxy.limitRejectStatus },
      set: { $0.proxy.limitRejectStatus = $1 }),
    integer(
      "proxy.capacity_retry_after_seconds", get: { $0.proxy.capacityRetryAfterSeconds },
      set: { $0.proxy.capacityRetryAfterSeconds = $1 }),
    integer("proxy.t1_ms", get: { Int($0.proxy.timers.t1) }, set: { $0.proxy.timers.t1 = Int64($1) }),
    integer("proxy.t2_ms", get: { Int($0.proxy.timers.t2) }, set: { $0.proxy.timers.t2 = Int64($1) }),
    integer("proxy.t4_ms", get: { Int($0.proxy.timers.t4) }, set: { $0.proxy.timers.t4 = Int64($1) }),
    integer("proxy.max_forwards", get: { $0.proxy.maxForwards }, set: { $0.proxy.maxForwards = $1 }),
    string("proxy.server_header", get: { $0.proxy.serverHeader }, set: { $0.proxy.serverHeader = $1 }),

    string(
      "tls.certificate_file", get: { $0.tls.certificateFile }, set: { $0.tls.certificateFile = $1 }),
    string("tls.private_key_file", get: { $0.tls.privateKeyFile }, set: { $0.tls.privateKeyFile = $1 }),
    string("tls.ca_file", get: { $0.tls.caFile }, set: { $0.tls.caFile = $1 }),
    string("tls.ciphers", get: { $0.tls.ciphers }, set: { $0.tls.ciphers = $1 }),
    string("tls.curves", get: { $0.tls.curves }, set: { $0.tls.curves = $1 }),

    string(
      "database.url", get: { $0.database.url ?? "" },
      set: { config, text in config.database.url = text.isEmpty ? nil : text }),
    string(
      "database.journal_directory", get: { $0.database.journalDirectory },
      set: { $0.database.journalDirectory = $1 }),
    string(
      "database.notify_channel", get: { $0.database.notifyChannel }, set: { $0.database.notifyChannel = $1 }),
    integer(
      "database.writer_batch_size", get: { $0.database.writerBatchSize },
      set: { $0.database.writerBatchSize = $1 }),

    integer(
      "credit.reservation_step_seconds", get: { $0.credit.stepSeconds }, set: { $0.credit.stepSeconds = $1 }),
    integer("credit.extend_lead_ms", get: { $0.credit.extendLeadMs }, set: { $0.credit.extendLeadMs = $1 }),
    integer(
      "credit.sync_interval_ms", get: { $0.credit.syncIntervalMs }, set: { $0.credit.syncIntervalMs = $1 }),
    integer(
      "credit.spend_refresh_seconds", get: { $0.credit.spendRefreshSeconds },
      set: { $0.credit.spendRefreshSeconds = $1 }),
    integer(
      "credit.hold_stale_seconds", get: { $0.credit.holdStaleSeconds },
      set: { $0.credit.holdStaleSeconds = $1 }),
    string("credit.node_id", get: { $0.credit.nodeID }, set: { $0.credit.nodeID = $1 }),

    strings(
      "registrar.domains", get: { $0.registrar.domains },
      set: { config, domains in config.registrar.domains = domains.map { $0.lowercased() } }),
    integer(
      "registrar.default_expires_seconds", get: { $0.registrar.defaultExpiresSeconds },
      set: { $0.registrar.defaultExpiresSeconds = $1 }),
    integer(
      "registrar.min_expires_seconds", get: { $0.registrar.minExpiresSeconds },
      set: { $0.registrar.minExpiresSeconds = $1 }),
    integer(
      "registrar.max_expires_seconds", get: { $0.registrar.maxExpiresSeconds },
      set: { $0.registrar.maxExpiresSeconds = $1 }),
    integer(
      "registrar.max_contacts", get: { $0.registrar.maxContacts }, set: { $0.registrar.maxContacts = $1 }),
    string(
      "registrar.authentication", get: { $0.registrar.authentication.rawValue },
      set: { config, text in
        guard let value = SwitchConfig.RegistrarSettings.Authentication(rawValue: text.lowercased()) else {
          throw ConfigError("\(ConfigValue.quote(text)) is not digest or none")
        }
        config.registrar.authentication = value
      }),
    strings(
      "registrar.digest_algorithms", get: { $0.registrar.digestAlgorithms },
      set: { config, names in config.registrar.digestAlgorithms = names }),
    strings(
      "registrar.md5_only_user_agents", get: { $0.registrar.md5OnlyUserAgents },
      set: { config, prefixes in config.registrar.md5OnlyUserAgents = prefixes }),
    integer(
      "registrar.nonce_lifetime_seconds", get: { $0.registrar.nonceLifetimeSeconds },
      set: { $0.registrar.nonceLifetimeSeconds = $1 }),
    integer(
      "registrar.auth_failure_limit", get: { $0.registrar.authFailureLimit },
      set: { $0.registrar.authFailureLimit = $1 }),
    integer(
      "registrar.auth_failure_window_seconds", get: { $0.registrar.authFailureWindowSeconds },
      set: { $0.registrar.authFailureWindowSeconds = $1 }),
    integer(
      "registrar.auth_block_seconds", get: { $0.registrar.authBlockSeconds },
      set: { $0.registrar.authBlockSeconds = $1 }),
    integer(
      "registrar.auth_max_block_seconds", get: { $0.registrar.authMaxBlockSeconds },
      set: { $0.registrar.authMaxBlockSeconds = $1 }),
    integer(
      "registrar.auth_forget_seconds", get: { $0.registrar.authForgetSeconds },
      set: { $0.registrar.authForgetSeconds = $1 }),
    integer(
      "registrar.auth_throttle_entries", get: { $0.registrar.authThrottleEntries },
      set: { $0.registrar.authThrottleEntries = $1 }),
    integer(
      "registrar.auth_log_interval_seconds", get: { $0.registrar.authLogIntervalSeconds },
      set: { $0.registrar.authLogIntervalSeconds = $1 }),

    strings(
      "retail.emergency_numbers", get: { $0.retail.emergencyNumbers },
      set: { $0.retail.emergencyNumbers = $1 }),

    string(
      "metrics.listen", get: { $0.metrics.listen?.hostPort ?? "" },
      set: { config, text in
        guard !text.isEmpty else {
          config.metrics.listen = nil
          return
        }
        guard let endpoint = hostAndPort(text) else {
          throw ConfigError(
            "\(ConfigValue.quote(text)) is not a valid address (expected HOST:PORT or [IPv6]:PORT)")
        }
        config.metrics.listen = endpoint
      }),

    string(
      "admin.listen", get: { $0.admin.listen?.hostPort ?? "" },
      set: { config, text in
        guard !text.isEmpty else {
          config.admin.listen = nil
          return
        }
        guard let endpoint = hostAndPort(text) else {
          throw ConfigError(
            "\(ConfigValue.quote(text)) is not a valid address (expected HOST:PORT or [IPv6]:PORT)")
        }
        config.admin.listen = endpoint
      }),
    string("admin.token_file", get: { $0.admin.tokenFile }, set: { $0.admin.tokenFile = $1 }),
    string("admin.state_file", get: { $0.admin.stateFile }, set: { $0.admin.stateFile = $1 }),
    integer(
      "admin.max_event_subscribers", get: { $0.admin.maxEventSubscribers },
      set: { $0.admin.maxEventSubscribers = $1 }),
    integer("admin.event_buffer", get: { $0.admin.eventBuffer }, set: { $0.admin.eventBuffer = $1 }),

    integer(
      "lifecycle.shutdown_grace_seconds", get: { seconds($0.lifecycle.shutdownGrace) },
      set: { $0.lifecycle.shutdownGrace = .seconds($1) }),
    integer(
      "lifecycle.retry_after_seconds", get: { $0.lifecycle.retryAfterSeconds },
      set: { $0.lifecycle.retryAfterSeconds = $1 }),

    integer(
      "overload.max_loop_lag_ms", get: { $0.overload.maxLoopLagMs }, set: { $0.overload.maxLoopLagMs = $1 }),
    integer(
      "overload.max_queue_delay_ms", get: { $0.overload.maxQueueDelayMs },
      set: { $0.overload.maxQueueDelayMs = $1 }),
    integer(
      "overload.max_invite_wait_ms", get: { $0.overload.maxInviteWaitMs },
      set: { $0.overload.maxInviteWaitMs = $1 }),
    integer(
      "overload.max_queued_new_calls", get: { $0.overload.maxQueuedNewCalls },
      set: { $0.overload.maxQueuedNewCalls = $1 }),
    integer(
      "overload.max_loop_busy_percent", get: { $0.overload.maxLoopBusyPercent },
      set: { $0.overload.maxLoopBusyPercent = $1 }),
    integer(
      "overload.min_invites_per_second", get: { $0.overload.minInvitesPerSecond },
      set: { $0.overload.minInvitesPerSecond = $1 }),
    integer(
      "overload.max_invites_per_second", get: { $0.overload.maxInvitesPerSecond },
      set: { $0.overload.maxInvitesPerSecond = $1 }),
    integer(
      "overload.max_invites_per_source_per_second", get: { $0.overload.maxInvitesPerSourcePerSecond },
      set: { $0.overload.maxInvitesPerSourcePerSecond = $1 }),
    integer(
      "overload.unknown_source_requests_per_second", get: { $0.overload.unknownSourceRequestsPerSecond },
      set: { $0.overload.unknownSourceRequestsPerSecond = $1 }),
    integer(
      "overload.retry_after_seconds", get: { $0.overload.retryAfterSeconds },
      set: { $0.overload.retryAfterSeconds = $1 }),
    integer(
      "overload.log_interval_seconds", get: { $0.overload.logIntervalSeconds },
      set: { $0.overload.logIntervalSeconds = $1 }),
    integer(
      "overload.max_tracked_sources", get: { $0.overload.maxTrackedSources },
      set: { $0.overload.maxTrackedSources = $1 }),

    string(
      "log.level", get: { $0.log.level.rawValue },
      set: { config, text in
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
          let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
          throw ConfigError("\(ConfigValue.quote(text)) is not a log level (\(names))")
        }
        config.log.level = level
      }),
    string(
      "log.format", get: { $0.log.format.rawValue },
      set: { config, text in
        guard let format = SwitchConfig.LogSettings.Format(rawValue: text.lowercased()) else {
          let names = SwitchConfig.LogSettings.Format.allCases.map(\.rawValue).joined(separator: ", ")
          throw ConfigError("\(ConfigValue.quote(text)) is not a log format (\(names))")
        }
        config.log.format = format
      }),
  ]

  /// `HOST:PORT`, with `;transport=` for anything but UDP: the form `proxy.next_hop` takes.
  private static func nextHopText(_ endpoint: Endpoint) -> String {
    endpoint.transport == .udp
      ? endpoint.hostPort : "\(endpoint.hostPort);transport=\(endpoint.transport.rawValue)"
  }

  /// `HOST:PORT` or `[IPv6]:PORT`, port 0-65535 required: a TCP endpoint.
  static func hostAndPort(_ text: String) -> Endpoint? {
    guard let colon = text.lastIndex(of: ":") else { return nil }
    var host = text[..<colon]
    guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
    if host.hasPrefix("["), host.hasSuffix("]") {
      host = host.dropFirst().dropLast()
      guard host.contains(":") else { return nil }
    } else if host.contains(":") {
      return nil
    }
    guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) })
    else { return nil }
    return Endpoint(transport: .tcp, host: String(host), port: port)
  }

  private static func seconds(_ duration: Duration) -> Int {
    Int(duration.components.seconds)
  }

  static func string(
    _ name: String, get: @escaping @Sendable (SwitchConfig) -> String,
    set: @escaping @Sendable (inout SwitchConfig, String) throws -> Void
  ) -> ConfigKey {
    ConfigKey(
      name: name, kind: .string, get: { .string(get($0)) },
      set: { config, value in if case .string(let s) = value { try set(&config, s) } })
  }

  static func integer(
    _ name: String, get: @escaping @Sendable (SwitchConfig) -> Int,
    set: @escaping @Sendable (inout SwitchConfig, Int) -> Void
  ) -> ConfigKey {
    ConfigKey(
      name: name, kind: .integer, get: { .integer(get($0)) },
      set: { config, value in if case .integer(let i) = value { set(&config, i) } })
  }

  private static func strings(
    _ name: String, get: @escaping @Sendable (SwitchConfig) -> [String],
    set: @escaping @Sendable (inout SwitchConfig, [String]) throws -> Void
  ) -> ConfigKey {
    ConfigKey(
      name: name, kind: .strings, get: { .strings(get($0)) },
      set: { config, value in if case .strings(let a) = value { try set(&config, a) } })
  }
}
