import Billing
import Logging
import NIOCore
import SIPCore
import SIPTransport
import ServiceLifecycle
import UnixSignals

/// The parts the build function made, and the services that hold them, in
/// dependency order: a service starts after the ones before it and is
/// shut down gracefully before them.
struct SwitchParts {
  let config: SwitchConfig
  let core: CoreHandle
  let transport: SIPTransportLayer
  let bound: [Endpoint]
  let mode: SwitchMode
  let metrics: MetricsServer?
  let admin: AdminServer?
  let listenerWatch: ListenerWatch
  let reloadConfiguration: (@Sendable () throws -> SwitchConfig)?
  let logger: Logger

  /// Softswitch mode first starts the journal, writer and checkpoint log
  /// (with the credit sync after them), then come the transports (READY=1),
  /// the ticker, metrics, the core's drain, the reloads and the listener watch.
  func services(ledger: NIOLoopBound<CreditLedger>?) async -> [ServiceGroupConfiguration.ServiceConfiguration]
  {
    let notifier = SystemdNotifier(environment: ProcessEnvironment.current)
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
    if let softswitch = mode.softswitch, let ledger {
      let sync = startRecords(softswitch: softswitch, ledger: ledger)
      services.append(.init(service: CreditSyncService(sync: sync)))
      services.append(.init(service: MonthlyCallSyncService(sync: await startMonthlyCalls(softswitch))))
      services.append(.init(service: RecordsService(softswitch: softswitch)))
    }
    if let sync = await startBindings() { services.append(.init(service: BindingSyncService(sync: sync))) }
    services.append(
      .init(
        service: TransportService(
          transport: transport, bound: bound, notifier: notifier, mode: mode.name,
          nextHop: mode.softswitch == nil ? config.proxy.nextHop : nil, logger: logger)))
    services.append(.init(service: TickerService(core: core, bound: bound, logger: logger)))
    if let metrics { services.append(.init(service: MetricsService(server: metrics))) }
    if let admin { services.append(.init(service: AdminService(server: admin))) }
    services.append(
      .init(
        service: DrainService(
          core: core, notifier: notifier,
          graceMs: Int64(config.lifecycle.shutdownGrace.components.seconds) * 1000,
          waitsForDialogs: mode.softswitch != nil, listenerWatch: listenerWatch, logger: logger)))
    services.append(
      .init(
        service: ReloadService(
          core: core, config: config, softswitch: mode.softswitch, notifier: notifier,
          reloadConfiguration: reloadConfiguration, hangups: await UnixSignalsSequence(trapping: .sighup),
          logger: logger, tls: transport.tls)))
    services.append(
      .init(
        service: ListenerWatchService(watch: listenerWatch, logger: logger),
        failureTerminationBehavior: .gracefullyShutdownGroup))
    return services
  }

  /// Softswitch mode with a registrar: bindings kept in PostgreSQL
  /// (`BindingSync`), read before the listeners are announced so a restart
  /// keeps every phone reachable.
  private func startBindings() async -> BindingSync? {
    guard let softswitch = mode.softswitch, config.registrarConfiguration != nil else { return nil }
    let sync = BindingSync(
      core: core, databaseURL: softswitch.databaseURL, nodeID: Daemon.nodeID(config: config, bound: bound),
      logger: logger)
    _ = try? await core.submit { $0?.proxy.registrar?.store = sync }
    if await sync.drain() {
      let held = (try? await core.submit { $0?.proxy.registrar?.bindingCount ?? 0 }) ?? 0
      logger.notice("registrar bindings read from PostgreSQL", metadata: ["bindings": "\(held)"])
    }
    return sync
  }

  /// Softswitch mode: users' monthly call counts (migration 0020), read
  /// once before the listeners open, then every `credit.sync_interval_ms`.
  private func startMonthlyCalls(_ softswitch: Softswitch) async -> MonthlyCallSync {
    let sync = MonthlyCallSync(
      core: core, databaseURL: softswitch.databaseURL, intervalMs: config.credit.syncIntervalMs,
      logger: logger)
    if !(await sync.round()) {
      logger.warning("monthly call counts not read at start; retried every credit sync interval")
    }
    return sync
  }

  /// Softswitch mode: committed batches settle the ledger's pending
  /// charges on the core's loop; the journal and writer start (replaying
  /// what the last run left) before READY=1; the credit sync is made (its
  /// service runs it).
  private func startRecords(softswitch: Softswitch, ledger: NIOLoopBound<CreditLedger>) -> CreditSync {
    let box = core.box
    let loop = core.loop
    softswitch.records.writer.setCommitObserver { batch in
      loop.execute {
        box.value?.proxy.credit?.committed(
          uuids: batch.uuids, balances: batch.balances, nowUnixMs: SystemProxyClock().unixMs)
        box.value?.proxy.monthlyCalls.committed(uuids: batch.uuids)
      }
    }
    softswitch.startRecords()
    let sync = CreditSync(
      ledger: ledger, loop: loop, databaseURL: softswitch.databaseURL,
      nodeID: Daemon.nodeID(config: config, bound: bound), settings: config.credit, logger: logger)
    if !softswitch.pendingAtStart.isEmpty {
      logger.notice(
        "charges of journalled call records count as pending until written",
        metadata: ["records": "\(softswitch.pendingAtStart.count)"])
    }
    return sync
  }
}
