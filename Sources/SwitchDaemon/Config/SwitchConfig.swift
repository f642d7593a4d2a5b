import Logging
import SIPCore
import SIPTransaction

/// Everything the daemon is configured with. Each property mirrors one key of
/// the configuration file (`section.key`, see `etc/didtron-switch.toml`) and
/// starts at the documented default; `SwitchConfig()` is the all-defaults value.
///
/// Values come, in increasing precedence, from the defaults, the file, the
/// environment (`DIDTRON_<SECTION>_<KEY>`) and the command line; see
/// `SwitchConfig.load(file:environment:overrides:)`. `validate()` checks ranges
/// and relations between keys and names the key in its error.
public struct SwitchConfig: Sendable, Equatable {
  /// `[sip]`: where the switch listens and how it frames messages.
  public struct SIPSettings: Sendable, Equatable {
    /// `sip.listen`: the sockets to bind, as `udp:HOST:PORT` / `tcp:HOST:PORT` /
    /// `tls:HOST:PORT` (IPv6 hosts in brackets). Default `udp:127.0.0.1:5060`, `tcp:127.0.0.1:5060`.
    public var listen: [Endpoint] = [
      Endpoint(transport: .udp, host: "127.0.0.1", port: 5060),
      Endpoint(transport: .tcp, host: "127.0.0.1", port: 5060),
    ]
    /// `sip.advertised_address`: the host put in Via and Record-Route instead of
    /// the listen IP (for a switch behind NAT or bound to 0.0.0.0). IPv6 without
    /// brackets. Nil (the file's `""`, the default) means the listen IP.
    public var advertisedAddress: String? = nil
    /// `sip.max_message_size`: the largest message accepted, in bytes. Default 65535.
    public var maxMessageSize: Int = 65535
    /// `sip.udp_receive_buffer_bytes`: SO_RCVBUF asked for on UDP sockets. Default 4194304.
    public var udpReceiveBufferBytes: Int = 4_194_304
    /// `sip.tcp_idle_timeout_seconds`: an idle TCP connection is closed after this. Default 600 s.
    public var tcpIdleTimeout: Duration = .seconds(600)
    /// `sip.tcp_message_timeout_ms`: a TCP message must be complete this long after
    /// its first byte, or its connection is closed. Default 5000 ms.
    public var tcpMessageTimeoutMs: Int = 5000
    /// `sip.tcp_max_connections`: inbound TCP connections open at once; one more
    /// is closed as soon as it is accepted. Default 4096.
    public var tcpMaxConnections: Int = 4096
    /// `sip.tcp_max_connections_per_source`: inbound TCP connections open at once
    /// from one IP address. Default 64.
    public var tcpMaxConnectionsPerSource: Int = 64

    public init() {}
  }

  /// `[proxy]`: the proxy core.
  public struct ProxySettings: Sendable, Equatable {
    /// `proxy.next_hop`: where every initial request is forwarded, as
    /// `HOST:PORT` or `HOST:PORT;transport=tcp` (UDP when not given). Required
    /// until routing comes from the database; nil (the file's `""`) is the default.
    public var nextHop: Endpoint? = nil
    /// `proxy.invite_timeout_seconds`: timer C, the no-answer timeout of a
    /// proxied INVITE (RFC 3261 §16.6 step 11). Default 180 s.
    public var inviteTimeout: Duration = .seconds(180)
    /// `proxy.failover_timeout_ms`: a target that sends nothing (not even 100
    /// Trying) for this long is given up and the call fails over to the next
    /// route, as on a 408; 0 waits for timer B (64*T1). Default 3000.
    public var failoverTimeoutMs: Int = 3000
    /// `proxy.max_dialog_lifetime_seconds`: how long a dialog lives from its
    /// answer when no maximum call duration and no session timer bound it;
    /// then it is ended as by the switch (BYE both ways when it can, its
    /// record either way), e.g. when its BYE was lost. Default 14400 s (4 h).
    public var maxDialogLifetime: Duration = .seconds(14400)
    /// `proxy.limit_reject_status`: the status of a call refused by a CPS or
    /// capacity limit (with Retry-After). Default 503; 480 and 486 are common too.
    public var limitRejectStatus: Int = 503
    /// `proxy.capacity_retry_after_seconds`: Retry-After on a capacity refusal. Default 5.
    public var capacityRetryAfterSeconds: Int = 5
    /// `proxy.t1_ms`, `proxy.t2_ms`, `proxy.t4_ms`: the RFC 3261 §17 timer base
    /// values, in milliseconds. Default 500, 4000, 5000.
    public var timers: TimerValues = .rfc3261
    /// `proxy.max_forwards`: the Max-Forwards put on requests that arrive without one. Default 70.
    public var maxForwards: Int = 70
    /// `proxy.server_header`: the Server / User-Agent value of locally generated
    /// messages; empty (the default) sends none, which tells a scanner nothing.
    public var serverHeader: String = ""

    public init() {}
  }

  /// `[database]`: PostgreSQL, the call-record journal and reload notifications.
  public struct DatabaseSettings: Sendable, Equatable {
    /// `database.url`: a `postgresql://` URI or a libpq conninfo string. Nil
    /// (the file's `""`, the default) runs the switch in proxy mode, without
    /// a database.
    public var url: String? = nil
    /// `database.journal_directory`: where finished calls are journalled
    /// (fsync'd) before they are inserted. Default `/var/lib/didtron-switch/journal`.
    public var journalDirectory: String = "/var/lib/didtron-switch/journal"
    /// `database.notify_channel`: the channel LISTENed on for reload
    /// notifications. Default `didtron_reload`.
    public var notifyChannel: String = "didtron_reload"
    /// `database.writer_batch_size`: call records per INSERT transaction. Default 500.
    public var writerBatchSize: Int = 500

    public init() {}
  }

  /// `[credit]`: live credit control in softswitch mode (docs/credit.md).
  public struct CreditSettings: Sendable, Equatable {
    /// `credit.reservation_step_seconds`: talk time each reservation step
    /// buys. Smaller steps share an account more finely between calls and
    /// switches; larger ones mean fewer steps. Default 60.
    public var stepSeconds: Int = 60
    /// `credit.extend_lead_ms`: how long before a call's paid time runs out
    /// its next step is reserved. Default 5000.
    public var extendLeadMs: Int = 5_000
    /// `credit.sync_interval_ms`: how often balances are read from
    /// PostgreSQL and holds exchanged with other switches (a balance
    /// NOTIFY reads them at once). Default 1000.
    public var syncIntervalMs: Int = 1_000
    /// `credit.spend_refresh_seconds`: how often the stored 24-hour spend
    /// figures are recomputed as the window rolls on. Default 60.
    public var spendRefreshSeconds: Int = 60
    /// `credit.hold_stale_seconds`: another switch's holds older than this
    /// are ignored (it stopped or lost the database). Default 30.
    public var holdStaleSeconds: Int = 30
    /// `credit.node_id`: this switch's name in `credit_holds`; empty for
    /// the host name. Default "".
    public var nodeID: String = ""

    public init() {}
  }

  /// `[registrar]`: softphones registering (docs/registrar.md).
  public struct RegistrarSettings: Sendable, Equatable {
    /// `registrar.domains`: the domains whose REGISTER requests this switch
    /// answers and whose addresses of record it routes calls to; empty
    /// (the default) turns the registrar off.
    public var domains: [String] = []
    /// `registrar.default_expires_seconds`: a contact without an expiry lasts this long. Default 3600.
    public var defaultExpiresSeconds: Int = 3600
    /// `registrar.min_expires_seconds`: shorter expiries get 423. Default 60.
    public var minExpiresSeconds: Int = 60
    /// `registrar.max_expires_seconds`: longer expiries are cut to this. Default 86400.
    public var maxExpiresSeconds: Int = 86_400
    /// `registrar.max_contacts`: bindings one address of record may hold. Default 10.
    public var maxContacts: Int = 10
    /// `registrar.authentication`: `digest` (RFC 3261 §22 against
    /// `device_registrations`; needs `database.url`) or `none` (any REGISTER
    /// for a domain is accepted: a trusted network). Default digest.
    public var authentication: Authentication = .digest
    /// `registrar.digest_algorithms`: the challenges, in order of
    /// preference (RFC 8760). Default ["SHA-256", "MD5"].
    public var digestAlgorithms: [String] = ["SHA-256", "MD5"]
    /// `registrar.md5_only_user_agents`: User-Agent prefixes challenged with
    /// MD5 alone (when MD5 is offered at all): clients that give up on a
    /// challenge they cannot answer instead of answering the one they can.
    /// Default ["baresip"] (baresip 1.0's libre).
    public var md5OnlyUserAgents: [String] = ["baresip"]
    /// `registrar.nonce_lifetime_seconds`: how long a challenge's nonce is
    /// fresh; later the phone is challenged again with stale=true. Default 300.
    public var nonceLifetimeSeconds: Int = 300
    /// `registrar.auth_failure_limit`: failed authentications within the
    /// window that block a source or a user; 0 turns throttling off. Default 5.
    public var authFailureLimit: Int = 5
    /// `registrar.auth_failure_window_seconds`: the window. Default 60.
    public var authFailureWindowSeconds: Int = 60
    /// `registrar.auth_block_seconds`: the first block; each next one doubles. Default 60.
    public var authBlockSeconds: Int = 60
    /// `registrar.auth_max_block_seconds`: the longest block. Default 3600.
    public var authMaxBlockSeconds: Int = 3600
    /// `registrar.auth_forget_seconds`: a source or user quiet this long
    /// starts again from the first block. Default 3600.
    public var authForgetSeconds: Int = 3600
    /// `registrar.auth_throttle_entries`: sources (and users) remembered at
    /// most. Default 10000.
    public var authThrottleEntries: Int = 10_000
    /// `registrar.auth_log_interval_seconds`: one log line per blocked
    /// source or user per interval. Default 60.
    public var authLogIntervalSeconds: Int = 60

    public enum Authentication: String, Sendable, Equatable, CaseIterable {
      case digest, none
    }

    public init() {}
  }

  /// `[metrics]`: the HTTP listener for Prometheus (docs/metrics.md).
  public struct MetricsSettings: Sendable, Equatable {
    /// `metrics.listen`: `HOST:PORT` (`[::1]:9464` for IPv6) where `GET
    /// /metrics` and `GET /health` are served; empty (the default) turns the
    /// listener off. Port 0 takes any free port (the log line names it).
    public var listen: Endpoint?

    public init() {}
  }

  /// `[lifecycle]`: start and stop.
  public struct LifecycleSettings: Sendable, Equatable {
    /// `lifecycle.shutdown_grace_seconds`: how long SIGTERM waits for
    /// transactions and calls to drain before the daemon exits. Default 30 s.
    public var shutdownGrace: Duration = .seconds(30)
    /// `lifecycle.retry_after_seconds`: the Retry-After of the 503 answered to
    /// new INVITEs while draining. Default 30.
    public var retryAfterSeconds: Int = 30

    public init() {}
  }

  /// `[overload]`: shedding new INVITEs under load, limits per source, and
  /// what unknown sources get (docs/overload.md). A limit of 0 is off.
  public struct OverloadControl: Sendable, Equatable {
    /// `overload.max_loop_lag_ms`: shed new INVITEs with 503 while the core
    /// loop runs later than this (smoothed). Default 200.
    public var maxLoopLagMs: Int = 200
    /// `overload.max_queue_delay_ms`: shed new INVITEs with 503 while the
    /// datagrams the core loop reads have waited longer than this in the UDP
    /// receive queues (smoothed). Default 10: every call waits in that queue
    /// at least twice (its INVITE, then its responses).
    public var maxQueueDelayMs: Int = 10
    /// `overload.max_loop_busy_percent`: shed new INVITEs with 503 while the
    /// core loop spends more than this share of the time handling messages
    /// (smoothed). Where a loop saturates depends on the machine (about 60 %
    /// on the benchmark host: the rest is reads, sends and polling). Default 0 (off).
    public var maxLoopBusyPercent: Int = 0
    /// `overload.max_invite_wait_ms`: while new INVITEs are limited, one that
    /// waited longer than this behind the core's other work is shed whatever
    /// the admitted rate. Default 30 (0: off).
    public var maxInviteWaitMs: Int = 30
    /// `overload.max_queued_new_calls`: new INVITEs and CANCELs the core holds
    /// while it handles other messages first; past it the oldest is dropped.
    /// Default 8192.
    public var maxQueuedNewCalls: Int = 8192
    /// `overload.min_invites_per_second`: while a loop signal is over its
    /// limit, new INVITEs are admitted at a rate an AIMD controller sets
    /// (cut while the signal is over, raised while it is under); it never
    /// goes below this many per second. Default 10.
    public var minInvitesPerSecond: Int = 10
    /// `overload.max_invites_per_second`: new INVITEs per second, all sources
    /// together; more get 503. Default 0 (off).
    public var maxInvitesPerSecond: Int = 0
    /// `overload.max_invites_per_source_per_second`: new INVITEs per second
    /// from one source address; more get 503. Default 0 (off).
    public var maxInvitesPerSourcePerSecond: Int = 0
    /// `overload.unknown_source_requests_per_second`: requests per second one
    /// unknown source address gets any answer to (softswitch mode); the
    /// rest are dropped. Default 5.
    public var unknownSourceRequestsPerSecond: Int = 5
    /// `overload.retry_after_seconds`: the Retry-After of a shed INVITE's 503. Default 5.
    public var retryAfterSeconds: Int = 5
    /// `overload.log_interval_seconds`: refusals are logged once per source
    /// and reason per this interval, with a count. Default 60.
    public var logIntervalSeconds: Int = 60
    /// `overload.max_tracked_sources`: source addresses each per-source table
    /// holds (bounded memory). Default 16384.
    public var maxTrackedSources: Int = 16_384

    public init() {}
  }

  /// `[log]`: logging.
  public struct LogSettings: Sendable, Equatable {
    /// The formats log lines can be written in.
    public enum Format: String, Sendable, Equatable, CaseIterable {
      /// swift-log's `StreamLogHandler` lines: time, level, label, message, metadata.
      case text
    }

    /// `log.level`: trace, debug, info, notice, warning, error or critical. Default info.
    public var level: Logger.Level = .info
    /// `log.format`: only `text` for now. Default text.
    public var format: Format = .text

    public init() {}
  }

  public var sip = SIPSettings()
  public var proxy = ProxySettings()
  public var database = DatabaseSettings()
  public var credit = CreditSettings()
  public var registrar = RegistrarSettings()
  public var retail = RetailSettings()
  public var tls = TLSSettings()
  public var metrics = MetricsSettings()
  public var admin = AdminSettings()
  public var lifecycle = LifecycleSettings()
  public var overload = OverloadControl()
  public var log = LogSettings()
  public var health = HealthSettings()
  public var capture = CaptureSettings()

  /// The all-defaults configuration (which does not validate: `proxy.next_hop` is required).
  public init() {}
}
