import Digest
import SIPCore
import Store

extension SwitchConfig {
  /// Checks every value's range and the relations between keys. The error
  /// names the first offending key (`proxy.t1_ms: ...`).
  public func validate() throws(ConfigError) {
    try validateSIP()
    try validateProxy()
    try validateDatabase()
    try validateRegistrar()
    try validateMetricsAndLifecycle()
    try validateOverload()
    try validateAdmin()
    try validateOperations()
    try validateTLS()
  }

  func fail(_ key: String, _ message: String) -> ConfigError {
    ConfigError(key: key, message)
  }

  func requireSeconds(_ key: String, _ duration: Duration, in range: ClosedRange<Int64>) throws(ConfigError) {
    let seconds = duration.components.seconds
    guard range.contains(seconds), duration.components.attoseconds == 0 else {
      throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound) seconds (got \(seconds))")
    }
  }

  /// Each value within its range, else the error naming the first key that is not.
  func requireInRanges(_ ranges: [(key: String, value: Int, range: ClosedRange<Int>)]) throws(ConfigError) {
    for (key, value, range) in ranges where !range.contains(value) {
      throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
    }
  }

  /// `[sip]`: listeners, the advertised address, sizes and TCP limits.
  func validateSIP() throws(ConfigError) {
    // [sip]
    guard !sip.listen.isEmpty else { throw fail("sip.listen", "must name at least one endpoint") }
    for (index, endpoint) in sip.listen.enumerated() {
      guard !sip.listen[..<index].contains(endpoint) else {
        throw fail("sip.listen", "\(endpoint) is listed twice")
      }
    }
    if let host = sip.advertisedAddress {
      // A colon belongs only in an IPv6 literal, which has at least two; one colon is a port.
      guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }),
        host.count(where: { $0 == ":" }) != 1
      else {
        throw fail(
          "sip.advertised_address", "\(ConfigValue.quote(host)) is not a host name or IP address (no port)")
      }
    }
    guard (1024...16_777_216).contains(sip.maxMessageSize) else {
      throw fail("sip.max_message_size", "must be between 1024 and 16777216 (got \(sip.maxMessageSize))")
    }
    guard (1...Int(Int32.max)).contains(sip.udpReceiveBufferBytes) else {
      throw fail(
        "sip.udp_receive_buffer_bytes",
        "must be between 1 and \(Int32.max) (got \(sip.udpReceiveBufferBytes))")
    }
    try requireSeconds("sip.tcp_idle_timeout_seconds", sip.tcpIdleTimeout, in: 1...86400)
    guard (100...600_000).contains(sip.tcpMessageTimeoutMs) else {
      throw fail(
        "sip.tcp_message_timeout_ms", "must be between 100 and 600000 (got \(sip.tcpMessageTimeoutMs))")
    }
    guard (1...1_000_000).contains(sip.tcpMaxConnections) else {
      throw fail("sip.tcp_max_connections", "must be between 1 and 1000000 (got \(sip.tcpMaxConnections))")
    }
    guard (1...sip.tcpMaxConnections).contains(sip.tcpMaxConnectionsPerSource) else {
      throw fail(
        "sip.tcp_max_connections_per_source",
        "must be between 1 and sip.tcp_max_connections (\(sip.tcpMaxConnections)) (got \(sip.tcpMaxConnectionsPerSource))"
      )
    }
  }

  /// `[proxy]`: the next hop, timers, limits and the Server header.
  func validateProxy() throws(ConfigError) {
    // [proxy]
    // Proxy mode needs a next hop; softswitch mode (database.url) routes by the database.
    if database.url == nil, proxy.nextHop == nil {
      throw fail(
        "proxy.next_hop",
        "is required without database.url (the next SIP hop, e.g. \"127.0.0.1:5080\")")
    }
    try requireSeconds("proxy.invite_timeout_seconds", proxy.inviteTimeout, in: 1...86400)
    try requireSeconds("proxy.max_dialog_lifetime_seconds", proxy.maxDialogLifetime, in: 60...604_800)
    guard (0...600_000).contains(proxy.failoverTimeoutMs) else {
      throw fail(
        "proxy.failover_timeout_ms", "must be between 0 and 600000 (got \(proxy.failoverTimeoutMs))")
    }
    guard (400...699).contains(proxy.limitRejectStatus) else {
      throw fail(
        "proxy.limit_reject_status", "must be a SIP failure status 400-699 (got \(proxy.limitRejectStatus))")
    }
    guard (0...86_400).contains(proxy.capacityRetryAfterSeconds) else {
      throw fail(
        "proxy.capacity_retry_after_seconds",
        "must be between 0 and 86400 (got \(proxy.capacityRetryAfterSeconds))")
    }
    let timers = proxy.timers
    guard (1...60_000).contains(timers.t1) else {
      throw fail("proxy.t1_ms", "must be between 1 and 60000 (got \(timers.t1))")
    }
    guard timers.t2 >= timers.t1, timers.t2 <= 600_000 else {
      throw fail(
        "proxy.t2_ms", "must be at least proxy.t1_ms (\(timers.t1)) and at most 600000 (got \(timers.t2))")
    }
    guard (1...600_000).contains(timers.t4) else {
      throw fail("proxy.t4_ms", "must be between 1 and 600000 (got \(timers.t4))")
    }
    guard (1...255).contains(proxy.maxForwards) else {
      throw fail("proxy.max_forwards", "must be between 1 and 255 (got \(proxy.maxForwards))")
    }
    guard proxy.serverHeader.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
      throw fail("proxy.server_header", "must not contain control characters")
    }
  }

  /// `[metrics]` and `[lifecycle]`.
  func validateMetricsAndLifecycle() throws(ConfigError) {
    // [metrics]
    if let metrics = metrics.listen, metrics.port != 0,
      sip.listen.contains(where: {
        $0.transport != .udp && $0.host == metrics.host && $0.port == metrics.port
      })
    {
      throw fail("metrics.listen", "\(metrics.hostPort) is also a SIP listener (sip.listen)")
    }

    // [lifecycle]
    try requireSeconds("lifecycle.shutdown_grace_seconds", lifecycle.shutdownGrace, in: 0...3600)
    guard (1...86400).contains(lifecycle.retryAfterSeconds) else {
      throw fail(
        "lifecycle.retry_after_seconds", "must be between 1 and 86400 (got \(lifecycle.retryAfterSeconds))")
    }
  }

  /// `[overload]`: each limit in its range (0 turns a limit off).
  func validateOverload() throws(ConfigError) {
    let ranges: [(String, Int, ClosedRange<Int>)] = [
      ("overload.max_loop_lag_ms", overload.maxLoopLagMs, 0...60_000),
      ("overload.max_queue_delay_ms", overload.maxQueueDelayMs, 0...60_000),
      ("overload.max_loop_busy_percent", overload.maxLoopBusyPercent, 0...100),
      ("overload.max_invite_wait_ms", overload.maxInviteWaitMs, 0...60_000),
      ("overload.max_queued_new_calls", overload.maxQueuedNewCalls, 1...1_000_000),
      ("overload.min_invites_per_second", overload.minInvitesPerSecond, 1...1_000_000),
      ("overload.max_invites_per_second", overload.maxInvitesPerSecond, 0...1_000_000),
      ("overload.max_invites_per_source_per_second", overload.maxInvitesPerSourcePerSecond, 0...1_000_000),
      ("overload.unknown_source_requests_per_second", overload.unknownSourceRequestsPerSecond, 0...1_000_000),
      ("overload.retry_after_seconds", overload.retryAfterSeconds, 1...86_400),
      ("overload.log_interval_seconds", overload.logIntervalSeconds, 0...86_400),
      ("overload.max_tracked_sources", overload.maxTrackedSources, 1...10_000_000),
    ]
    try requireInRanges(ranges)
  }

  /// Checks the `[database]` keys alone (what `didtron-switch migrate` needs).
  public func validateDatabase() throws(ConfigError) {
    if let url = database.url, let problem = PGConnection.connectionStringProblem(url) {
      throw ConfigError(key: "database.url", "is not a postgresql:// URI or conninfo string: \(problem)")
    }
    guard database.journalDirectory.hasPrefix("/") else {
      throw ConfigError(
        key: "database.journal_directory",
        "must be an absolute path (got \(ConfigValue.quote(database.journalDirectory)))")
    }
    let channel = database.notifyChannel
    guard (1...63).contains(channel.utf8.count), let first = channel.first, first == "_" || first.isLowercase,
      channel.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
    else {
      throw ConfigError(
        key: "database.notify_channel",
        "\(ConfigValue.quote(channel)) is not a channel name (lower-case letters, digits and _, at most 63)")
    }
    guard (1...2000).contains(database.writerBatchSize) else {
      throw ConfigError(
        key: "database.writer_batch_size", "must be between 1 and 2000 (got \(database.writerBatchSize))")
    }
    try validateCredit()
  }

  /// Checks the `[registrar]` keys.
  func validateRegistrar() throws(ConfigError) {
    for domain in registrar.domains {
      let allowed = domain.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) }
      guard !domain.isEmpty, allowed else {
        throw ConfigError(
          key: "registrar.domains", "\(ConfigValue.quote(domain)) is not a host name or address")
      }
    }
    let ranges: [(key: String, value: Int, range: ClosedRange<Int>)] = [
      ("registrar.min_expires_seconds", registrar.minExpiresSeconds, 1...86_400),
      ("registrar.max_expires_seconds", registrar.maxExpiresSeconds, 1...604_800),
      ("registrar.default_expires_seconds", registrar.defaultExpiresSeconds, 1...604_800),
      ("registrar.max_contacts", registrar.maxContacts, 1...100),
      ("registrar.nonce_lifetime_seconds", registrar.nonceLifetimeSeconds, 10...86_400),
      ("registrar.auth_failure_limit", registrar.authFailureLimit, 0...1000),
      ("registrar.auth_failure_window_seconds", registrar.authFailureWindowSeconds, 1...86_400),
      ("registrar.auth_block_seconds", registrar.authBlockSeconds, 1...86_400),
      (
        "registrar.auth_max_block_seconds", registrar.authMaxBlockSeconds,
        min(registrar.authBlockSeconds, 604_800)...604_800
      ),
      ("registrar.auth_forget_seconds", registrar.authForgetSeconds, 1...604_800),
      ("registrar.auth_throttle_entries", registrar.authThrottleEntries, 16...1_000_000),
      ("registrar.auth_log_interval_seconds", registrar.authLogIntervalSeconds, 1...86_400),
    ]
    try requireInRanges(ranges)
    guard registrar.minExpiresSeconds <= registrar.defaultExpiresSeconds,
      registrar.defaultExpiresSeconds <= registrar.maxExpiresSeconds
    else {
      throw ConfigError(
        key: "registrar.default_expires_seconds",
        "must be between registrar.min_expires_seconds (\(registrar.minExpiresSeconds)) and "
          + "registrar.max_expires_seconds (\(registrar.maxExpiresSeconds)) (got \(registrar.defaultExpiresSeconds))"
      )
    }
    let algorithms = registrar.digestAlgorithms.map { DigestHash(token: $0) }
    guard !algorithms.isEmpty, !algorithms.contains(nil), Set(algorithms).count == algorithms.count else {
      throw ConfigError(
        key: "registrar.digest_algorithms",
        "must list SHA-256 and/or MD5, each once (got \(registrar.digestAlgorithms.map(ConfigValue.quote)))")
    }
    if !registrar.domains.isEmpty, registrar.authentication == .digest, database.url == nil {
      throw ConfigError(
        key: "registrar.authentication",
        "digest needs database.url (the credentials are device_registrations rows); "
          + "set it to \"none\" for a registrar on a network you trust")
    }
  }

  /// Checks the `[credit]` keys.
  func validateCredit() throws(ConfigError) {
    let ranges: [(key: String, value: Int, range: ClosedRange<Int>)] = [
      ("credit.reservation_step_seconds", credit.stepSeconds, 1...3600),
      ("credit.extend_lead_ms", credit.extendLeadMs, 0...60_000),
      ("credit.sync_interval_ms", credit.syncIntervalMs, 100...60_000),
      ("credit.spend_refresh_seconds", credit.spendRefreshSeconds, 1...3600),
      ("credit.hold_stale_seconds", credit.holdStaleSeconds, 1...3600),
    ]
    try requireInRanges(ranges)
    guard credit.extendLeadMs < credit.stepSeconds * 1000 else {
      throw ConfigError(
        key: "credit.extend_lead_ms",
        "must be shorter than a reservation step (\(credit.stepSeconds * 1000) ms; got \(credit.extendLeadMs))"
      )
    }
    guard credit.nodeID.utf8.count <= 63, credit.nodeID.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
      throw ConfigError(
        key: "credit.node_id",
        "\(ConfigValue.quote(credit.nodeID)) must be at most 63 ASCII characters without spaces")
    }
  }
}
