import Billing
import Digest
import Logging
import NIOCore
import NIOPosix
import Proxy
import SIPCore
import SIPTransport
import ServiceLifecycle
import Store
import UnixSignals

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The daemon: builds the transport layer and the proxy core from the
/// configuration, runs them as one swift-service-lifecycle service until
/// SIGTERM/SIGINT, and reloads on SIGHUP.
public enum Daemon {
  /// - Parameter reloadConfiguration: re-reads the configuration on SIGHUP
  ///   (file, environment, flags); `nil` makes SIGHUP only log.
  public static func run(
    config: SwitchConfig, logger: Logger,
    reloadConfiguration: (@Sendable () throws -> SwitchConfig)? = nil
  ) async throws {
    // One event loop: the proxy core, UDP and TCP all live on it, so no
    // message ever changes thread and the core needs no locks.
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let service = SwitchService(
      config: config, group: group, logger: logger, reloadConfiguration: reloadConfiguration)
    let serviceGroup = ServiceGroup(
      configuration: .init(
        services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    do {
      try await serviceGroup.run()
    } catch {
      try? await group.shutdownGracefully()
      throw error
    }
    try await group.shutdownGracefully()
  }
}

/// The switch as one long-lived `Service`: bind, announce READY=1, serve until
/// graceful shutdown, drain, close.
struct SwitchService: Service {
  let config: SwitchConfig
  let group: MultiThreadedEventLoopGroup
  let logger: Logger
  let reloadConfiguration: (@Sendable () throws -> SwitchConfig)?

  func run() async throws {
    let loop = group.next()
    let box = NIOLoopBoundBox<SwitchCore?>.makeEmptyBox(valueType: SwitchCore.self, eventLoop: loop)
    var transportConfiguration = TransportConfiguration()
    transportConfiguration.maxMessageSize = config.sip.maxMessageSize
    transportConfiguration.udpReceiveBufferBytes = config.sip.udpReceiveBufferBytes
    transportConfiguration.tcpIdleTimeoutSeconds = config.sip.tcpIdleTimeout.components.seconds
    transportConfiguration.tcpMessageTimeoutMs = Int64(config.sip.tcpMessageTimeoutMs)
    transportConfiguration.tcpMaxConnections = config.sip.tcpMaxConnections
    transportConfiguration.tcpMaxConnectionsPerSource = config.sip.tcpMaxConnectionsPerSource
    let listenerWatch = ListenerWatch()
    let transport = SIPTransportLayer(
      group: group, udpLoop: loop, configuration: transportConfiguration, logger: logger,
      onMessage: { inbound in
        if loop.inEventLoop {
          box.value?.receive(inbound)
        } else {
          loop.execute { box.value?.receive(inbound) }
        }
      },
      onSendFailure: { destination in
        loop.execute { box.value?.proxy.transportError(to: destination) }
      },
      onListenerClosed: { listener in listenerWatch.listenerClosed(listener) })

    // Softswitch mode: the schema must match and the snapshot must load
    // before the switch says it is ready; proxy mode needs only a next hop.
    let router: any CallRouter
    let softswitch: Softswitch?
    var firstLoad: ReferenceLoad?
    var journalled: [(uuid: String, charges: [AccountCharge])] = []
    if config.database.url != nil {
      do {
        let (started, loaded) = try await Softswitch.start(config: config, logger: logger)
        softswitch = started
        firstLoad = loaded
        journalled = started.pendingAtStart
        router = CallPipeline(
          snapshot: loaded.snapshot, limitStatus: config.proxy.limitRejectStatus,
          capacityRetryAfterSeconds: config.proxy.capacityRetryAfterSeconds)
      } catch {
        logger.critical("cannot start in softswitch mode: \(error)")
        await transport.shutdown()
        throw error
      }
      if config.proxy.nextHop != nil {
        logger.notice("proxy.next_hop is ignored: database.url routes calls (softswitch mode)")
      }
    } else if let nextHop = config.proxy.nextHop {
      router = NextHopRouter(nextHop: nextHop)
      softswitch = nil
    } else {
      await transport.shutdown()
      throw DaemonError.noRoute
    }

    let bound: [Endpoint]
    do {
      bound = try await transport.bind(config.sip.listen)
    } catch {
      logger.critical("cannot listen: \(error)")
      await transport.shutdown()
      await softswitch?.stop(deadline: .now)
      throw error
    }
    // The metrics listener, bound like the SIP ones before anything else
    // starts; it reads the core through the box, empty until the core exists.
    var metricsServer: MetricsServer?
    if let address = config.metrics.listen {
      let endpoints = Self.metricsEndpoints(
        loop: loop, box: box, transport: transport, softswitch: softswitch,
        startedUnixSeconds: SystemProxyClock().unixMs / 1000, listenerWatch: listenerWatch)
      do {
        let server = try await MetricsServer.start(
          host: address.host, port: address.port, group: group, endpoints: endpoints)
        metricsServer = server
        logger.notice("metrics listening", metadata: ["address": "http://\(server.address)/metrics"])
      } catch {
        logger.critical("cannot listen for metrics on \(address.hostPort): \(error)")
        await transport.shutdown()
        await softswitch?.stop(deadline: .now)
        throw error
      }
    }
    let proxyConfiguration = ProxyConfiguration(
      localEndpoints: bound, advertisedHost: config.sip.advertisedAddress,
      timers: config.proxy.timers,
      inviteTimeoutMs: Int64(config.proxy.inviteTimeout.components.seconds) * 1000
        + config.proxy.inviteTimeout.components.attoseconds / 1_000_000_000_000_000,
      failoverTimeoutMs: Int64(config.proxy.failoverTimeoutMs), defaultMaxForwards: config.proxy.maxForwards,
      serverHeader: config.proxy.serverHeader,
      retryAfterSeconds: config.lifecycle.retryAfterSeconds, overload: config.overload.settings,
      maxDialogLifetimeMs: Int64(config.proxy.maxDialogLifetime.components.seconds) * 1000)
    let processTag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let creditSettings = config.credit
    let registrarSettings = config.registrar
    let accounts = firstLoad?.accounts ?? []
    let currencies = firstLoad?.snapshot.currencies
    let sipCredentials = firstLoad?.snapshot.sipCredentials ?? [:]
    let pendingAtStart = journalled
    let ledger = try await loop.submit { () -> NIOLoopBound<CreditLedger>? in
      let proxy = ProxyCore(
        configuration: proxyConfiguration, sender: TransportSender(transport: transport),
        clock: SystemProxyClock(), router: router, logger: logger, processTag: processTag)
      if !registrarSettings.domains.isEmpty {
        proxy.registrar = Registrar(
          configuration: RegistrarConfiguration(
            domains: Set(registrarSettings.domains),
            defaultExpiresSeconds: registrarSettings.defaultExpiresSeconds,
            minExpiresSeconds: registrarSettings.minExpiresSeconds,
            maxExpiresSeconds: registrarSettings.maxExpiresSeconds,
            maxContacts: registrarSettings.maxContacts,
            authentication: registrarSettings.authentication == .none
              ? .none
              : .digest(
                algorithms: registrarSettings.digestAlgorithms.compactMap { DigestHash(token: $0) },
                nonceLifetimeSeconds: registrarSettings.nonceLifetimeSeconds),
            throttle: AuthenticationThrottle.Configuration(
              failureLimit: registrarSettings.authFailureLimit,
              failureWindowMs: Int64(registrarSettings.authFailureWindowSeconds) * 1000,
              blockMs: Int64(registrarSettings.authBlockSeconds) * 1000,
              maxBlockMs: Int64(registrarSettings.authMaxBlockSeconds) * 1000,
              forgetMs: Int64(registrarSettings.authForgetSeconds) * 1000,
              capacity: registrarSettings.authThrottleEntries,
              logIntervalMs: Int64(registrarSettings.authLogIntervalSeconds) * 1000)))
        proxy.registrar?.credentials = sipCredentials
      }
      var bound: NIOLoopBound<CreditLedger>?
      if let softswitch, let currencies {
        proxy.journal = SoftswitchJournal(softswitch: softswitch, loop: loop)
        // Live credit: accounts as loaded, less what the journal still owes PostgreSQL.
        let ledger = CreditLedger(
          configuration: CreditConfiguration(
            stepSeconds: Int64(creditSettings.stepSeconds), extendLeadMs: Int64(creditSettings.extendLeadMs)),
          currencies: currencies)
        ledger.load(accounts)
        for record in pendingAtStart { ledger.addPending(uuid: record.uuid, charges: record.charges) }
        proxy.credit = ledger
        bound = NIOLoopBound(ledger, eventLoop: loop)
        // Calls the last run was carrying when it stopped: back in the dialog table.
        var restored = 0
        for entry in softswitch.callsToRestore {
          guard let checkpoint = DialogCheckpoint(text: entry.text) else {
            logger.error(
              "live-call checkpoint unreadable; its call is not restored", metadata: ["uuid": "\(entry.id)"])
            continue
          }
          if proxy.restore(checkpoint) { restored += 1 }
        }
        if restored > 0 {
          logger.notice("calls taken over from the last run", metadata: ["calls": "\(restored)"])
        }
      }
      box.value = SwitchCore(
        loop: loop, proxy: proxy, decoder: InboundDecoder(serverHeader: config.proxy.serverHeader),
        transport: transport, logger: logger)
      return bound
    }.get()
    var creditSync: CreditSync?
    var creditTask: Task<Void, Never>?
    if let softswitch, let ledger {
      softswitch.records.writer.setCommitObserver { batch in
        loop.execute {
          box.value?.proxy.credit?.committed(
            uuids: batch.uuids, balances: batch.balances, nowUnixMs: SystemProxyClock().unixMs)
        }
      }
      softswitch.startRecords()
      let sync = CreditSync(
        ledger: ledger, loop: loop, databaseURL: softswitch.databaseURL,
        nodeID: Self.nodeID(config: config, bound: bound), settings: creditSettings, logger: logger)
      creditSync = sync
      creditTask = Task { await sync.run() }
      if !pendingAtStart.isEmpty {
        logger.notice(
          "charges of journalled call records count as pending until written",
          metadata: ["records": "\(pendingAtStart.count)"])
      }
    }
    let ticker = loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
      box.value?.tick()
    }
    let loadProbe = try await loop.submit {
      LoopLoadProbe.start(
        on: loop, logger: logger,
        udpQueue: UDPQueueReader(ports: Set(bound.filter { $0.transport == .udp }.map(\.port))),
        work: { box.value?.takeWork() ?? (0, 0) }, overload: { box.value?.proxy.overload })
    }.get()

    logger.notice(
      "didtron-switch ready",
      metadata: [
        "listen": "\(bound.map(\.description).joined(separator: ", "))",
        "mode": "\(softswitch == nil ? "proxy" : "softswitch")",
        "next_hop": "\(softswitch == nil ? config.proxy.nextHop.map { "\($0)" } ?? "" : "")",
      ])
    let notifier = SystemdNotifier(environment: ProcessEnvironment.current)
    do {
      try notifier.ready(status: "listening on \(bound.map(\.description).joined(separator: ", "))")
    } catch {
      logger.warning("\(error)")
    }

    // Reloads: SIGHUP always; in softswitch mode also NOTIFY on the channel.
    let limitStatus = config.proxy.limitRejectStatus
    let capacityRetryAfter = config.proxy.capacityRetryAfterSeconds
    let install: @Sendable (ReferenceLoad) async -> Void = { loaded in
      try? await loop.submit {
        box.value?.proxy.router = CallPipeline(
          snapshot: loaded.snapshot, limitStatus: limitStatus, capacityRetryAfterSeconds: capacityRetryAfter)
        box.value?.proxy.registrar?.credentials = loaded.snapshot.sipCredentials
        box.value?.proxy.credit?.load(loaded.accounts)
        box.value?.proxy.credit?.currencies = loaded.snapshot.currencies
      }.get()
    }
    var listener: ReloadListener?
    if let softswitch {
      var listenerConfiguration = ReloadListener.Configuration(
        databaseURL: softswitch.databaseURL, channel: config.database.notifyChannel)
      listenerConfiguration.callOnFirstConnect = false
      let started = ReloadListener(configuration: listenerConfiguration, logger: logger) { trigger in
        Task { await softswitch.reload(reason: "\(trigger)", install: install) }
      }
      started.start()
      listener = started
    }
    var stopReason = StopReason.shutdown
    await withTaskGroup(of: Void.self) { tasks in
      tasks.addTask {
        await handleReloads(
          loop: loop, box: box, notifier: notifier, softswitch: softswitch, install: install)
      }
      stopReason = await StopReason.wait(for: { try await gracefulShutdown() }, or: listenerWatch)
      tasks.cancelAll()
    }
    listener?.stop()

    // SIGTERM: refuse new calls, let transactions finish, then close. A closed
    // listener: /health already fails; close at once and exit non-zero.
    try? notifier.stopping(status: "draining")
    var graceMs = Int64(config.lifecycle.shutdownGrace.components.seconds) * 1000
    if case .listenerClosed(let closed) = stopReason {
      logger.critical(
        "a SIP listener closed; stopping so that the service manager restarts the switch",
        metadata: ["listener": "\(closed)"])
      graceMs = 0
    }
    let started = SystemProxyClock().monotonicMs
    logger.notice("draining: new INVITEs get 503", metadata: ["grace_s": "\(graceMs / 1000)"])
    try? await loop.submit { box.value?.proxy.beginDraining() }.get()
    // Calls in progress may end by themselves until the deadline.
    while SystemProxyClock().monotonicMs - started < graceMs {
      let open =
        (try? await loop.submit { () -> Int in
          guard let proxy = box.value?.proxy else { return 0 }
          return proxy.pendingTransactionCount + (softswitch == nil ? 0 : proxy.dialogCount)
        }.get()) ?? 0
      if open == 0 { break }
      try? await Task.sleep(for: .milliseconds(50), tolerance: .milliseconds(10))
    }
    if softswitch != nil { try? await loop.submit { box.value?.proxy.endAllDialogs() }.get() }
    await metricsServer?.stop()
    let summary = try? await loop.submit { () -> String in
      guard let core = box.value else { return "" }
      let c = core.proxy.counters
      return
        "requests=\(c.requestsReceived) responses=\(c.responsesReceived) forwarded_invites=\(c.invitesForwarded) "
        + "answered=\(c.callsAnswered) failed=\(c.callsFailed) cancelled=\(c.callsCancelled) "
        + "ended=\(c.callsEnded) open_transactions=\(core.proxy.transactionCount) dialogs=\(core.proxy.dialogCount) "
        + "malformed=\(core.malformed) dropped=\(core.dropped)"
    }.get()
    ticker.cancel()
    loadProbe.cancel()
    await transport.shutdown()
    creditTask?.cancel()
    await softswitch?.stop(deadline: .now + .seconds(10))
    if let creditSync {
      // The last holds of this switch: what is left unwritten stays in the journal.
      await creditSync.round(refreshSpend: false)
      await creditSync.shutdown()
    }
    logger.notice("didtron-switch stopped", metadata: ["totals": "\(summary ?? "")"])
    if case .listenerClosed(let closed) = stopReason { throw DaemonError.listenerClosed(closed) }
  }

  /// `GET /metrics` reads the core on its loop, then the transport's and
  /// the softswitch's counters (which are safe to read from anywhere).
  static func metricsEndpoints(
    loop: any EventLoop, box: NIOLoopBoundBox<SwitchCore?>, transport: SIPTransportLayer,
    softswitch: Softswitch?, startedUnixSeconds: Int64, listenerWatch: ListenerWatch = ListenerWatch()
  ) -> MetricsEndpoints {
    MetricsEndpoints(
      metrics: { _ in
        loop.submit { box.value?.reading ?? SwitchReading.Core() }.map { core in
          var reading = SwitchReading()
          reading.core = core
          reading.transport = transport.counters
          reading.records = softswitch?.records.counters
          reading.snapshot = softswitch?.status
          reading.startedUnixSeconds = startedUnixSeconds
          reading.mode = softswitch == nil ? "proxy" : "softswitch"
          return PrometheusExposition.render(reading.families)
        }
      },
      isServing: { _ in loop.submit { !(box.value?.proxy.isDraining ?? true) } },
      failure: { listenerWatch.failure })
  }

  /// `credit.node_id`, or the host name and first listening address
  /// (stable across restarts, distinct for two switches on one host).
  static func nodeID(config: SwitchConfig, bound: [Endpoint]) -> String {
    if !config.credit.nodeID.isEmpty { return config.credit.nodeID }
    var name = [CChar](repeating: 0, count: 256)
    let host =
      gethostname(&name, name.count) == 0
      ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "switch"
    return bound.first.map { "\(host)/\($0)" } ?? host
  }

  private func handleReloads(
    loop: any EventLoop, box: NIOLoopBoundBox<SwitchCore?>, notifier: SystemdNotifier,
    softswitch: Softswitch?, install: @escaping @Sendable (ReferenceLoad) async -> Void
  ) async {
    let signals = await UnixSignalsSequence(trapping: .sighup)
    for await _ in signals {
      try? notifier.reloading()
      if let softswitch {
        await softswitch.reload(reason: "SIGHUP", install: install)
        try? notifier.ready()
        continue
      }
      guard let reloadConfiguration else {
        logger.notice("SIGHUP: nothing to reload")
        try? notifier.ready()
        continue
      }
      do {
        let fresh = try reloadConfiguration()
        guard let nextHop = fresh.proxy.nextHop else { throw DaemonError.noRoute }
        try await loop.submit { box.value?.proxy.router = NextHopRouter(nextHop: nextHop) }.get()
        logger.notice("SIGHUP: configuration reloaded", metadata: ["next_hop": "\(nextHop)"])
      } catch {
        logger.error("SIGHUP: reload failed, keeping the running configuration: \(error)")
      }
      try? notifier.ready()
    }
  }
}

enum DaemonError: Error, CustomStringConvertible, Equatable {
  case noRoute
  /// A SIP listener closed while the switch was running (not shutting down).
  case listenerClosed(Endpoint)

  var description: String {
    switch self {
    case .noRoute: "proxy.next_hop is not set: proxy mode needs a next hop"
    case .listenerClosed(let listener): "SIP listener \(listener) closed unexpectedly"
    }
  }
}
