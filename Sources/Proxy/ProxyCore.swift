import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// The stateful, record-routing proxy of RFC 3261 §16: the transaction user
/// above the §17 state machines. It owns every transaction and dialog, runs on
/// one thread (the event loop that feeds it), sends through `MessageSender`
/// and reads time from `ProxyClock`; it opens no socket and reads no clock.
///
/// This file holds its state, the public surface and `tick`; the work is in
/// `ProxyCore+Requests`, `+Responses`, `+Dialogs`, `+Transactions`,
/// `+Deadlines`, `+Registrar`, `+UnknownSources` and `+Addresses`.
public final class ProxyCore {
  public internal(set) var counters = ProxyCounters()
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
  let timerWheel: TimerWheel<TimerEvent>
  var servers: [TransactionKey: ServerTransactionRecord] = [:]
  var clients: [TransactionKey: ClientTransactionRecord] = [:]
  var dialogs: [DialogKey: Dialog] = [:]
  var tagCounter: UInt64 = 0
  /// When the tables are next looked at for capacity to give back.
  var nextCompactionMs: Int64 = 0
  var recordIDs = RecordIDGenerator()
  /// Calls in progress by carrier, interconnect and service (capacity limits).
  public let liveCalls = LiveCalls()
  /// CPS token buckets; they outlive reloads of the router.
  public let cpsLimiter = CPSLimiter()
  /// Sheds new INVITEs under load and limits unknown sources (docs/overload.md).
  public let overload: OverloadGuard
  /// Live credit (softswitch mode); nil: calls are not credit-controlled.
  public var credit: CreditLedger?
  /// The registrar of `[registrar] domains` (nil: none): REGISTER for those
  /// domains is answered here, INVITEs for them go to the registered contacts.
  public var registrar: Registrar?
  var callNumbers: UInt64 = 0
  let processTag: String
  let localHosts: Set<String>
  let localPorts: Set<Int>

  enum TimerEvent {
    case server(ServerTransactionRecord, TransactionTimer)
    case client(ClientTransactionRecord, TransactionTimer)
    case timerC(ClientTransactionRecord)
    case targetSilent(ClientTransactionRecord)
    case durationLimit(Dialog)
    case sessionExpiry(Dialog)
    case creditCheck(Dialog)
    case creditCut(Dialog)
    case registrationExpiry(String)
    /// The backstops that end a transaction or dialog whatever happens (ProxyCore+Deadlines).
    case serverDeadline(ServerTransactionRecord)
    case clientDeadline(ClientTransactionRecord)
    case dialogLifetime(Dialog)
  }

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
    overload = OverloadGuard(settings: configuration.overload, nowMs: clock.monotonicMs)
    timerWheel = TimerWheel(nowMs: clock.monotonicMs)
    var hosts = Set(configuration.localEndpoints.map { $0.host.lowercased() })
    hosts.formUnion(configuration.aliases.map { $0.lowercased() })
    if let advertised = configuration.advertisedHost { hosts.insert(advertised.lowercased()) }
    localHosts = hosts
    localPorts = Set(configuration.localEndpoints.map(\.port))
  }

  // MARK: Public surface

  public var transactionCount: Int { servers.count + clients.count }
  public var dialogCount: Int { dialogs.count }

  /// Transactions still waiting for a final response: what a graceful
  /// shutdown waits for (those in Completed/Accepted only absorb retransmissions).
  public var pendingTransactionCount: Int {
    servers.values.reduce(0) { $0 + ($1.hasFinalResponse ? 0 : 1) }
      + clients.values.reduce(0) { $0 + ($1.receivedFinal ? 0 : 1) }
  }

  /// SIGTERM: new initial INVITEs get 503 with Retry-After from now on.
  public func beginDraining() { isDraining = true }

  /// The shutdown deadline passed with calls still up: each is reported as
  /// ended now (`endedBy` "shutdown"), since the switch leaves their path.
  public func endAllDialogs() {
    let open = dialogs.values.sorted { $0.summary.startedUnixMs < $1.summary.startedUnixMs }
    dialogs.removeAll()
    for dialog in open {
      cancelDialogTimers(dialog)
      liveCalls.remove(dialog.callNumber)
      if !dialog.byeSeen {
        dialog.summary.markEnded(unixMs: clock.unixMs, monotonicMs: clock.monotonicMs)
        dialog.summary.endedBy = "shutdown"
      }
      counters.callsEnded += 1
      report(dialog.summary, then: nil)
    }
  }

  /// Takes over an answered call that an earlier run of the switch was
  /// carrying when it stopped (its checkpoint, `CallJournal.answered`): the dialog
  /// is back, in-dialog requests are matched to it, its BYE ends it with its
  /// record, it counts for capacity, and its timers and credit steps go on
  /// from where the answer put them. The CSeq of the switch's own BYE starts
  /// 1000 above the checkpoint's, for in-dialog requests since then. False
  /// when the dialog is already here.
  @discardableResult
  public func restore(_ checkpoint: DialogCheckpoint) -> Bool {
    var summary = checkpoint.summary
    guard let calleeTag = summary.toTag, let answeredUnixMs = summary.answeredUnixMs else { return false }
    let now = clock.monotonicMs
    let elapsedMs = max(0, clock.unixMs - answeredUnixMs)
    summary.answeredMonotonicMs = now - elapsedMs
    summary.outcome = .answered
    callNumbers &+= 1
    let dialog = Dialog(
      callID: summary.callID, callerTag: summary.fromTag, calleeTag: calleeTag, caller: checkpoint.caller,
      callee: checkpoint.callee, summary: summary, callNumber: callNumbers)
    guard dialogs[dialog.key] == nil else { return false }
    dialog.control = checkpoint.control
    dialog.callerCSeq = checkpoint.callerCSeq &+ 1000
    dialog.calleeCSeq = checkpoint.calleeCSeq &+ 1000
    dialogs[dialog.key] = dialog
    liveCalls.add(dialog.callNumber, ingress: summary.ingress)
    liveCalls.setEgress(dialog.callNumber, summary.egress)
    counters.callsRestored += 1
    if let limit = checkpoint.maxDurationMs {
      dialog.maxDurationMs = limit
      dialog.limitTimer = schedule(.durationLimit(dialog), afterMs: limit - elapsedMs)
    }
    if let interval = checkpoint.sessionInterval {
      // The last refresh is not known: a whole interval from now.
      dialog.sessionInterval = interval
      dialog.sessionTimer = schedule(
        .sessionExpiry(dialog), afterMs: SessionTimerPolicy.deadlineMs(interval: interval))
    }
    if let credit {
      let grant = credit.restore(
        call: summary.recordID, parties: checkpoint.creditParties, elapsedMs: elapsedMs)
      if let paid = grant.paidSeconds {
        dialog.paidMs = paid * 1000
        dialog.creditShortage = grant.shortage
        scheduleCreditCheck(dialog)
      }
    }
    scheduleLifetime(dialog, elapsedMs: elapsedMs)
    return true
  }

  /// Fires every timer that is due. The driver calls this periodically.
  public func tick() {
    compactTablesIfDue()
    for event in timerWheel.expire(nowMs: clock.monotonicMs) {
      switch event {
      case .server(let record, let timer):
        guard !record.isTerminated, record.timers.removeValue(forKey: timer) != nil else { continue }
        run(fire(record, timer), on: record)
      case .client(let record, let timer):
        guard !record.isTerminated, record.timers.removeValue(forKey: timer) != nil else { continue }
        run(fire(record, timer), on: record, response: nil)
      case .timerC(let record):
        guard !record.isTerminated, record.timerC != nil else { continue }
        record.timerC = nil
        timerCFired(record)
      case .targetSilent(let record):
        guard !record.isTerminated, !record.receivedProvisional, !record.receivedFinal else { continue }
        timerCFired(record)
      case .durationLimit(let dialog):
        dialog.limitTimer = nil
        guard dialogs[dialog.key] === dialog else { continue }
        counters.callsEndedByDurationLimit += 1
        endCallFromSwitch(dialog, endedBy: "max_duration", reason: "Maximum Call Duration")
      case .sessionExpiry(let dialog):
        dialog.sessionTimer = nil
        guard dialogs[dialog.key] === dialog else { continue }
        counters.callsEndedBySessionExpiry += 1
        endCallFromSwitch(dialog, endedBy: "session_expired", reason: "Session Expired")
      case .creditCheck(let dialog):
        dialog.creditTimer = nil
        guard dialogs[dialog.key] === dialog else { continue }
        creditStep(dialog, cutting: false)
      case .creditCut(let dialog):
        dialog.creditTimer = nil
        guard dialogs[dialog.key] === dialog else { continue }
        creditStep(dialog, cutting: true)
      case .registrationExpiry(let aor):
        registrar?.purge(aor, nowMs: clock.monotonicMs)
      case .serverDeadline(let record):
        record.deadline = nil
        guard !record.isTerminated else { continue }
        deadlinePassed(record)
      case .clientDeadline(let record):
        record.deadline = nil
        guard !record.isTerminated else { continue }
        deadlinePassed(record)
      case .dialogLifetime(let dialog):
        dialog.lifetimeTimer = nil
        guard dialogs[dialog.key] === dialog else { continue }
        lifetimeEnded(dialog)
      }
    }
  }

  /// The next moment `tick` has work, if any.
  public var nextTimerDeadlineMs: Int64? { timerWheel.nextDeadlineMs }

  /// A send to `destination` failed (connection refused, write error).
  public func transportError(to destination: Endpoint) {
    counters.transportErrors += 1
    let affected = clients.values.filter { $0.destination == destination && !$0.isTerminated }
    for record in affected {
      run(transportFailed(record), on: record, response: nil)
    }
  }

  /// One decoded message from the transport layer.
  public func receive(_ message: SIPMessage, from source: Endpoint, local: Endpoint) {
    if message.isRequest {
      counters.requestsReceived += 1
      receiveRequest(message, from: source, local: local)
    } else {
      counters.responsesReceived += 1
      receiveResponse(message, from: source)
    }
  }
}
