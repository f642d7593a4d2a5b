import Policy
import Proxy
import SIPTransport
import Store

/// Everything `GET /metrics` reports, read at one moment: the core loop's
/// counters and gauges, the transport's, and in softswitch mode the call-
/// record pipeline's and the reference-data snapshot's. `families` names
/// them; docs/metrics.md lists every name.
struct SwitchReading: Sendable {
  /// Read on the core event loop.
  struct Core: Sendable {
    var counters = ProxyCounters()
    var malformed = 0
    var dropped = 0
    var transactions = 0
    var dialogs = 0
    var registeredContacts = 0
    /// The registrar's brute-force throttle.
    var authentication = AuthenticationThrottle.Counters()
    /// Bindings kept in PostgreSQL (softswitch mode with a registrar).
    var bindingStore: BindingSync.Counters?
    var creditAccounts = 0
    var draining = false
    var overload = OverloadReading()
    /// Probed supplier interconnects (docs/operations.md, "Supplier health").
    var supplierHealth: [SupplierHealthState] = []
    /// Call quality per carrier interconnect (docs/operations.md, "Quality metrics").
    var quality = QualityReading()
  }

  var core = Core()
  var transport = TransportCounters()
  /// `notAfter` of the TLS certificate in use, Unix seconds.
  var tlsCertificateNotAfter: Int64?
  var records: CallRecordPipeline.Counters?
  var snapshot: SnapshotStatus?
  /// HEP capture (`capture.hep_address`), when on.
  var hep: HEPCounters?
  var startedUnixSeconds: Int64 = 0
  var mode = "proxy"

  var families: [MetricFamily] {
    let c = core.counters
    let otherRefusals = max(0, c.callsRefused - c.callRateRefusals - c.capacityRefusals - c.creditRefusals)
    var families: [MetricFamily] = [
      MetricFamily(
        name: "didtron_info", help: "Always 1; the mode the switch runs in (proxy or softswitch).",
        kind: .gauge, samples: [.init(labels: [.init("mode", mode)], value: 1)]),
      .gauge("didtron_start_time_seconds", "When the switch started, Unix time.", Int(startedUnixSeconds)),
      .gauge("didtron_draining", "1 after SIGTERM: new INVITEs get 503.", core.draining ? 1 : 0),

      .counter(
        "didtron_sip_requests_received_total", "SIP requests the proxy core received.", c.requestsReceived),
      .counter(
        "didtron_sip_responses_received_total", "SIP responses the proxy core received.", c.responsesReceived),
      .counter(
        "didtron_sip_retransmissions_absorbed_total",
        "Retransmitted requests answered by their transaction, not passed on.", c.retransmissionsAbsorbed),
      .counter(
        "didtron_sip_malformed_total", "Messages refused as malformed (answered 400 or similar).",
        core.malformed),
      .counter(
        "didtron_sip_dropped_total", "Messages dropped unanswered (unparseable, or a response to nothing).",
        core.dropped),
      .counter(
        "didtron_sip_stray_responses_total", "Responses that matched no transaction.", c.strayResponses),
      .counter(
        "didtron_sip_late_answers_ended_total",
        "2xx of a branch after the call's answer or final response, ACKed and BYEd by the switch.",
        c.lateAnswersEnded),
      .counter(
        "didtron_sip_local_answers_total", "Requests the switch answered itself (OPTIONS, refusals).",
        c.locallyAnswered),
      .counter(
        "didtron_sip_stateless_forwards_total", "Requests forwarded without a transaction (ACK for 2xx).",
        c.statelessForwards),
      .counter(
        "didtron_sip_loops_detected_total", "Requests refused with 482 Loop Detected.", c.loopsDetected),
      .counter(
        "didtron_sip_transaction_timeouts_total", "Client transactions that timed out (timer B/F/C).",
        c.transactionTimeouts),
      .counter(
        "didtron_sip_transactions_expired_total",
        "Transactions a backstop deadline answered or ended (their timers and TU had not).",
        c.transactionsExpired),
      .counter(
        "didtron_sip_transport_errors_total", "Sends the transport reported as failed to the core.",
        c.transportErrors),
      .gauge("didtron_sip_transactions", "SIP transactions open now.", core.transactions),

      .counter(
        "didtron_invites_forwarded_total", "Initial INVITEs sent to a next hop or supplier.",
        c.invitesForwarded),
      .counter(
        "didtron_calls_answered_total", "Calls answered (2xx to the initial INVITE).", c.callsAnswered),
      .counter(
        "didtron_calls_failed_total", "Calls that ended with a final failure response.", c.callsFailed),
      .counter(
        "didtron_calls_cancelled_total", "Calls cancelled by the caller before answer.", c.callsCancelled),
      .counter(
        "didtron_calls_ended_total", "Answered calls that ended (BYE, or ended by the switch).", c.callsEnded),
      .counter(
        "didtron_calls_refused_total", "Initial INVITEs the switch refused, by reason.", by: "reason",
        [
          "cps": c.callRateRefusals, "capacity": c.capacityRefusals, "credit": c.creditRefusals,
          "other": otherRefusals,
        ]),
      .counter(
        "didtron_calls_ended_by_switch_total", "Answered calls the switch ended itself, by reason.",
        by: "reason",
        [
          "credit": c.callsEndedByCredit, "max_duration": c.callsEndedByDurationLimit,
          "session_expired": c.callsEndedBySessionExpiry, "max_lifetime": c.dialogsExpired,
          "admin": c.callsEndedByAdmin,
        ]),
      .counter(
        "didtron_calls_restored_total", "Answered calls taken over from the last run's checkpoints.",
        c.callsRestored),
      .counter(
        "didtron_answers_without_allowed_codec_total", "Supplier answers left with no allowed codec.",
        c.answersWithoutAllowedCodec),
      .gauge("didtron_calls_active", "Answered calls up now (dialogs).", core.dialogs),

      .counter(
        "didtron_registrations_total", "REGISTER requests to the registrar, by result.", by: "result",
        ["accepted": c.registrations, "refused": c.registrationsRefused]),
      .gauge("didtron_registered_contacts", "Contacts bound in the registrar now.", core.registeredContacts),
      .counter(
        "didtron_caller_authentications_total",
        "Out-of-dialog INVITEs of softphone users, by result (challenged with 407, authenticated).",
        by: "result", ["challenged": c.callerChallenges, "authenticated": c.callersAuthenticated]),
      .counter(
        "didtron_auth_failures_total",
        "Failed digest authentications (wrong password, unknown user, nonce not ours, replay).",
        core.authentication.failures),
      .counter(
        "didtron_auth_blocks_total", "Blocks started after failed authentications, by scope.", by: "scope",
        ["source": core.authentication.sourceBlocks, "user": core.authentication.userBlocks]),
      .counter(
        "didtron_auth_blocked_total", "Requests dropped unanswered while blocked, by scope.", by: "scope",
        ["source": core.authentication.droppedBySource, "user": core.authentication.droppedByUser]),
      .gauge("didtron_credit_accounts", "Accounts the credit ledger holds.", core.creditAccounts),

      .counter(
        "didtron_transport_datagrams_received_total", "UDP datagrams received (keepalives included).",
        transport.datagramsReceived),
      .counter("didtron_transport_datagrams_sent_total", "UDP datagrams sent.", transport.datagramsSent),
      .counter(
        "didtron_transport_keepalives_total", "CRLF keepalives: UDP ones dropped, TCP pings answered.",
        transport.datagramKeepalives + transport.keepalivesAnswered),
      .counter(
        "didtron_transport_frames_received_total", "SIP messages received on TCP.", transport.framesReceived),
      .counter("didtron_transport_frames_sent_total", "SIP messages sent on TCP.", transport.framesSent),
      .counter(
        "didtron_transport_framing_errors_total", "TCP framing errors (each closed its connection).",
        transport.framingErrors),
      .counter("didtron_transport_send_failures_total", "Sends that failed.", transport.sendFailures),
      .counter(
        "didtron_transport_tcp_connections_total", "TCP connections made, by direction.", by: "direction",
        ["inbound": transport.tcpConnectionsAccepted, "outbound": transport.tcpConnectionsConnected]),
      .gauge("didtron_transport_tcp_connections", "TCP connections open now.", transport.tcpConnectionsOpen),
      .counter(
        "didtron_transport_destinations_refused_total",
        "Sends refused before any socket: a destination that cannot be a peer (port 0, broadcast, ...).",
        transport.destinationsRefused),
      .counter(
        "didtron_transport_datagrams_dropped_total",
        "UDP datagrams dropped: the socket send buffer was full.",
        transport.datagramsDropped),
      .counter(
        "didtron_transport_tcp_connections_refused_total", "Inbound TCP connections closed at once, by cap.",
        by: "cap",
        [
          "overall": transport.tcpConnectionsRefusedOverall,
          "per_source": transport.tcpConnectionsRefusedPerSource,
        ]),
      .counter(
        "didtron_transport_tcp_message_timeouts_total",
        "TCP connections closed: a message not complete within sip.tcp_message_timeout_ms of its first byte.",
        transport.tcpMessageTimeouts),
      .counter(
        "didtron_transport_listeners_closed_total",
        "SIP listeners that closed by themselves (the switch then exits).",
        transport.listenersClosed),
    ]
    families += overload
    if let records {
      families += [
        .counter(
          "didtron_call_records_journalled_total", "Call records fsync'd to the local journal.",
          records.journalled),
        .counter(
          "didtron_call_records_inserted_total", "Call records committed to PostgreSQL as new rows.",
          records.inserted),
        .counter(
          "didtron_call_records_duplicates_total", "Replayed call records PostgreSQL already had.",
          records.duplicates),
        .counter(
          "didtron_call_records_rejected_total", "Call records set aside in rejected.journal.",
          records.rejected),
        .gauge(
          "didtron_call_records_pending", "Call records journalled or buffered, not yet committed.",
          records.pending),
        .counter(
          "didtron_charges_unapplied_total", "Charges of new records whose account row is missing.",
          records.unappliedCharges),
        .counter(
          "didtron_database_connection_failures_total", "Failed or lost connections of the record writer.",
          records.connectionFailures),
        .counter(
          "didtron_database_reconnects_total", "Record-writer connections made again after a failure.",
          records.reconnects),
      ]
    }
    if let snapshot {
      families += [
        .counter(
          "didtron_snapshot_reloads_total", "Reference-data reloads, by result.", by: "result",
          ["ok": snapshot.reloads, "failed": snapshot.failedReloads]),
        .gauge(
          "didtron_snapshot_loaded_time_seconds", "When the running snapshot was loaded, Unix time.",
          Int(snapshot.loadedUnixSeconds)),
        .gauge(
          "didtron_snapshot_load_milliseconds", "How long the running snapshot took to load.",
          Int(snapshot.loadMilliseconds)),
        MetricFamily(
          name: "didtron_snapshot_rows", help: "Rows in the running snapshot, by kind.", kind: .gauge,
          samples: [
            ("carriers", snapshot.carriers), ("interconnects", snapshot.interconnects),
            ("carrier_services", snapshot.services), ("routing_plans", snapshot.routingPlans),
            ("routing_prefixes", snapshot.prefixes), ("rating_plans", snapshot.ratingPlans),
            ("rates", snapshot.rates),
          ].map { .init(labels: [.init("kind", $0.0)], value: Int64($0.1)) }),
      ]
    }
    families += registrarStore
    families += supplierHealth
    families += quality
    if let hep {
      families.append(
        .counter(
          "didtron_hep_copies_total", "HEP copies of SIP messages, by result (sent, dropped, failed).",
          by: "result", ["sent": hep.sent, "dropped": hep.dropped, "failed": hep.failed]))
    }
    families += tls
    return families
  }
}

/// The reference-data snapshot as the metrics see it: what is loaded, and
/// how reloads went since start.
struct SnapshotStatus: Sendable, Equatable {
  var reloads = 0
  var failedReloads = 0
  var loadedUnixSeconds: Int64 = 0
  var loadMilliseconds: Int64 = 0
  var carriers = 0
  var interconnects = 0
  var services = 0
  var routingPlans = 0
  var prefixes = 0
  var ratingPlans = 0
  var rates = 0
}
