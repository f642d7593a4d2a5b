import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// The stateful, record-routing proxy of RFC 3261 §16: the transaction user
/// above the §17 transaction layer (`TransactionLayer`, which owns the
/// transaction tables). It owns every call and dialog, runs on one thread
/// (the event loop that feeds it), sends through `MessageSender` and reads
/// time from `ProxyClock`; it opens no socket and reads no clock.
///
/// This file holds its state, the public surface, dispatch and `tick`. The
/// work, by concern:
/// - `ProxyCore+Transactions`: what the transaction layer reports, and the
///   server transactions' own answers;
/// - `ProxyCore+Requests`: new requests (OPTIONS, 483, CANCEL, who handles what);
/// - `Invite/`: the initial INVITE (targets, failover, best response, timer C);
/// - `Dialogs/`: answered calls, in-dialog forwarding, the switch's BYE,
///   restore, and the calls' timers (duration, session, credit);
/// - `Registrar/`: REGISTER, and `RegistrarRouter` for INVITEs to its domains;
/// - `+Deadlines`, `+UnknownSources`, `+Addresses`.
public final class ProxyCore {
  /// Counted here; the transaction layer's totals are added in `counters`.
  var tally = ProxyCounters()
  public private(set) var isDraining = false
  /// Where answered calls' checkpoints and ended calls' records are made
  /// durable before the caller hears of them (`CallJournal`). Nil: answers
  /// and BYE responses go at once.
  public var journal: (any CallJournal)?

  let configuration: ProxyConfiguration
  let sender: any MessageSender
  let clock: any ProxyClock
  /// Chooses the targets of initial INVITEs; replaced on reload.
  public var router: any CallRouter
  let logger: Logger
  var branches: BranchGenerator
  let timers: ProxyTimers
  /// The RFC 3261 §17 transaction tables and their drivers.
  let transactions: TransactionLayer
  /// Receives the layer's reports (the layer does not retain its user).
  private var transactionUser: CoreTransactionUser?
  let dialogs = DialogTable()
  var tagCounter: UInt64 = 0
  /// When the tables are next looked at for capacity to give back.
  var nextCompactionMs: Int64 = 0
  var recordIDs = RecordIDGenerator()
  /// Calls in progress by carrier, interconnect and service (capacity limits).
  public let liveCalls = LiveCalls()
  /// CPS token buckets; they outlive reloads of the router.
  public let cpsLimiter = CPSLimiter()
  /// Interconnects and services an operator drained (admin API); they outlive reloads.
  public let drainedTrunks = DrainedTrunks()
  /// Receives every call's state changes on this loop (admin API events); nil: none made.
  /// Read four times per call (`emit`) and set once at wiring: each read is
  /// one load, `@exclusivity(unchecked)` as the core's other hot fields.
  @exclusivity(unchecked) public var callEvents: ((CallEvent) -> Void)?
  /// Sheds new INVITEs under load and limits unknown sources (docs/overload.md).
  public let overload: OverloadGuard
  /// Live credit (softswitch mode); nil: calls are not credit-controlled.
  public var credit: CreditLedger?
  /// Softphone users' calls per month against their plans' limits.
  public let monthlyCalls = MonthlyCallCounter()
  /// The registrar of `[registrar] domains` (nil: none): REGISTER for those
  /// domains is answered here, INVITEs for them go to the registered contacts.
  public var registrar: Registrar?
  var callNumbers: UInt64 = 0
  /// Probed supplier interconnects: up or down, routing skips those down
  /// (docs/operations.md, "Supplier health"; `ProxyCore+Probes`).
  public let supplierHealth: SupplierHealth
  /// Call quality per carrier interconnect (docs/operations.md, "Quality metrics").
  public let quality = QualityTable()
  var probesInFlight: [String: ClientTransactionRecord] = [:]
  var nextProbeRoundMs: Int64 = 0
  /// The snapshot the probed set was taken from.
  var probedSnapshot: Snapshot?
  /// The DID hooks of every route context (`makeDIDHooks`), made once
  /// here: a closure made per call is a heap allocation per call. Set in
  /// `init`, only read after it.
  @exclusivity(unchecked) var deviceTargetsHook: ((String) -> [RouteTarget])?
  @exclusivity(unchecked) var forwardedLegStarter: (() -> (recordID: String, nowMs: Int64, unixMs: Int64))?
  let processTag: String
  let localHosts: Set<String>
  let localPorts: Set<Int>

  public init(
    configuration: ProxyConfiguration, sender: any MessageSender, clock: any ProxyClock,
    router: any CallRouter, logger: Logger, processTag: String
  ) {
    self.configuration = configuration
    self.sender = sender
    self.clock = clock
    self.router = router
    self.logger = logger
    self.processTag = processTag
    branches = BranchGenerator(processPrefix: processTag)
    supplierHealth = SupplierHealth(thresholds: configuration.health.thresholds)
    overload = OverloadGuard(settings: configuration.overload, nowMs: clock.monotonicMs)
    timers = ProxyTimers(clock: clock)
    transactions = TransactionLayer(
      configuration: .init(timers: configuration.timers, inviteTimeoutMs: configuration.inviteTimeoutMs),
      sender: sender, scheduler: timers)
    var hosts = Set(configuration.localEndpoints.map { $0.host.lowercased() })
    hosts.formUnion(configuration.aliases.map { $0.lowercased() })
    if let advertised = configuration.advertisedHost { hosts.insert(advertised.lowercased()) }
    localHosts = hosts
    localPorts = Set(configuration.localEndpoints.map(\.port))
    let user = CoreTransactionUser(core: self)
    transactionUser = user
    transactions.user = user
    makeDIDHooks()
  }

  // MARK: Public surface

  /// Running totals: the core's own and the transaction layer's.
  public var counters: ProxyCounters {
    var all = tally
    all.retransmissionsAbsorbed += transactions.counters.retransmissionsAbsorbed
    all.transactionTimeouts += transactions.counters.timeouts
    all.transactionsExpired += transactions.counters.expired
    return all
  }

  public var transactionCount: Int { transactions.servers.count + transactions.clients.count }
  public var dialogCount: Int { dialogs.count }

  /// Transactions still waiting for a final response: what a graceful
  /// shutdown waits for (those in Completed/Accepted only absorb retransmissions).
  public var pendingTransactionCount: Int {
    transactions.servers.values.reduce(0) { $0 + ($1.hasFinalResponse ? 0 : 1) }
      + transactions.clients.values.reduce(0) { $0 + (Self.record($1).receivedFinal ? 0 : 1) }
  }

  /// SIGTERM: new initial INVITEs get 503 with Retry-After from now on.
  public func beginDraining() { isDraining = true }

  /// One decoded message from the transport layer.
  public func receive(_ message: SIPMessage, from source: Endpoint, local: Endpoint) {
    if message.isRequest {
      tally.requestsReceived += 1
      guard let method = message.method, let via = message.topVia else { return }
      message.setTopViaSource(source)
      transactions.receive(message, method: method, via: via, source: source, local: local)
    } else {
      tally.responsesReceived += 1
      transactions.receive(message)
    }
  }

  /// A send to `destination` failed (connection refused, write error).
  public func transportError(to destination: Endpoint) {
    tally.transportErrors += 1
    transactions.transportFailed(to: destination)
  }

  /// The next moment `tick` has work, if any.
  public var nextTimerDeadlineMs: Int64? { timers.nextDeadlineMs }

  /// Fires every timer that is due. The driver calls this periodically.
  public func tick() {
    overload.tick(nowMs: clock.monotonicMs)
    compactTablesIfDue()
    probeSuppliersIfDue()
    for event in timers.expire() {
      switch event {
      case .transaction(let event):
        transactions.fire(event)
      case .timerC(let record):
        guard !record.isTerminated, record.timerC != nil else { continue }
        record.timerC = nil
        timerCFired(record)
      case .targetSilent(let record):
        guard !record.isTerminated, !record.receivedProvisional, !record.receivedFinal else { continue }
        timerCFired(record)
      case .noAnswer(let context):
        guard let fork = context.fork, fork.noAnswerTimer != nil else { continue }
        fork.noAnswerTimer = nil
        forkNoAnswer(context)
      case .durationLimit(let dialog):
        dialog.limitTimer = nil
        guard dialogs.contains(dialog) else { continue }
        tally.callsEndedByDurationLimit += 1
        endCallFromSwitch(dialog, endedBy: "max_duration", reason: "Maximum Call Duration")
      case .sessionExpiry(let dialog):
        dialog.sessionTimer = nil
        guard dialogs.contains(dialog) else { continue }
        tally.callsEndedBySessionExpiry += 1
        endCallFromSwitch(dialog, endedBy: "session_expired", reason: "Session Expired")
      case .creditCheck(let dialog):
        dialog.creditTimer = nil
        guard dialogs.contains(dialog) else { continue }
        creditStep(dialog, cutting: false)
      case .creditCut(let dialog):
        dialog.creditTimer = nil
        guard dialogs.contains(dialog) else { continue }
        creditStep(dialog, cutting: true)
      case .registrationExpiry(let aor):
        registrar?.purge(aor, nowMs: clock.monotonicMs)
      case .dialogLifetime(let dialog):
        dialog.lifetimeTimer = nil
        guard dialogs.contains(dialog) else { continue }
        lifetimeEnded(dialog)
      }
    }
  }

  /// Schedules one of the core's own timers, counting from now.
  func schedule(_ event: ProxyTimers.Event, afterMs: Int64) -> TimerID {
    timers.schedule(event, afterMs: afterMs)
  }

  /// The core's view of a transaction it created (every one in the layer's tables).
  static func record(_ transaction: ServerTransaction) -> ServerTransactionRecord {
    unsafeDowncast(transaction, to: ServerTransactionRecord.self)
  }

  static func record(_ transaction: ClientTransaction) -> ClientTransactionRecord {
    unsafeDowncast(transaction, to: ClientTransactionRecord.self)
  }
}
