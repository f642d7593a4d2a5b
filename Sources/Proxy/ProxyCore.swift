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
public final class ProxyCore {
  public internal(set) var counters = ProxyCounters()
  public private(set) var isDraining = false
  /// Called once per call when its outcome is known (answered calls: at BYE).
  /// For a call ended by BYE, `release` is non-nil: the final response to
  /// that BYE is held until `release` is called (on this core's thread), so
  /// the call record can be made durable before the BYE is answered.
  public var onCallEnded: ((CallSummary, _ release: (() -> Void)?) -> Void)?
  /// Called once per answered call with its checkpoint, before the 2xx goes
  /// upstream: the 2xx is held until `release` is called (on this core's
  /// thread), so the checkpoint can be made durable before the caller
  /// sees the answer. Nil: the 2xx goes upstream at once.
  public var onCallAnswered: ((DialogCheckpoint, _ release: @escaping () -> Void) -> Void)?

  let configuration: ProxyConfiguration
  private let sender: any MessageSender
  let clock: any ProxyClock
  /// Chooses the targets of initial INVITEs; replaced on reload.
  public var router: any CallRouter
  let logger: Logger
  private var branches: BranchGenerator
  let timerWheel: TimerWheel<TimerEvent>
  var servers: [TransactionKey: ServerTransactionRecord] = [:]
  var clients: [TransactionKey: ClientTransactionRecord] = [:]
  var dialogs: [DialogKey: Dialog] = [:]
  private var tagCounter: UInt64 = 0
  /// When the tables are next looked at for capacity to give back.
  var nextCompactionMs: Int64 = 0
  private var recordIDs = RecordIDGenerator()
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
  private var callNumbers: UInt64 = 0
  private let processTag: String
  private let localHosts: Set<String>
  private let localPorts: Set<Int>

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
  /// carrying when it stopped (its checkpoint, `onCallAnswered`): the dialog
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

  // MARK: Requests

  private func receiveRequest(_ request: SIPMessage, from source: Endpoint, local: Endpoint) {
    guard let method = request.method, let via = request.topVia else { return }
    request.setTopViaSource(source)
    let key = serverKey(request, via: via, method: method)

    if method == .ack {
      // An ACK for a non-2xx final belongs to the INVITE server transaction (§17.2.1).
      // An ACK for a 2xx is end-to-end and is forwarded (RFC 6026 Accepted state).
      if let record = servers[key], record.isInvite, !(200..<300).contains(record.lastStatus) {
        run(receiveACK(record), on: record)
        return
      }
      guard screenUnknownSource(request, method: method, via: via, key: key, source: source) else { return }
      forwardInDialog(request, method: method, source: source, server: nil)
      return
    }
    if let record = servers[key] {
      counters.retransmissionsAbsorbed += 1
      run(requestArrived(record), on: record)
      return
    }
    guard screenUnknownSource(request, method: method, via: via, key: key, source: source) else { return }
    let record = newServerTransaction(request, key: key, via: via, method: method, source: source)
    if method == .cancel {
      receiveCancel(request, via: via, record: record)
      return
    }
    let toTagPresent = request.toTag != nil
    let addressedToUs = request.requestURI.map(isLocal) ?? false
    // §16.3 item 3 lets a proxy answer an OPTIONS addressed to it; trunks ping this way.
    if method == .options, !toTagPresent, addressedToUs, request.routeCount == 0 {
      respondLocally(record, 200, "OK", extra: [("Allow", Self.allow), ("Accept", "application/sdp")])
      return
    }
    if request.hasMaxForwards, request.maxForwards == 0 {
      respondLocally(record, 483, "Too Many Hops")
      return
    }
    if toTagPresent {
      forwardInDialog(request, method: method, source: source, server: record)
      return
    }
    switch method {
    case .invite:
      receiveInitialInvite(request, source: source, local: local, record: record)
    case .register where registrar?.serves(host: request.requestURI?.host) == true:
      receiveRegister(request, source: source, record: record)
    default:
      if case .extension = method {
        respondLocally(record, 501, "Not Implemented", extra: [("Allow", Self.allow)])
      } else if addressedToUs {
        respondLocally(record, 405, "Method Not Allowed", extra: [("Allow", Self.allow)])
      } else {
        // This switch relays calls, not out-of-dialog requests for other domains.
        respondLocally(record, 404, "Not Found")
      }
    }
  }

  private func receiveInitialInvite(
    _ request: SIPMessage, source: Endpoint, local: Endpoint, record: ServerTransactionRecord
  ) {
    // Overload control before any work for the call, even 100 Trying (docs/overload.md).
    if overload.shedCause(invite: source.host, nowMs: clock.monotonicMs) != nil {
      respondLocally(
        record, 503, "Service Unavailable",
        extra: [("Retry-After", String(overload.settings.retryAfterSeconds))])
      return
    }
    // §16.2: a proxy sends 100 Trying at once for an INVITE.
    if let trying = localResponse(record, 100, "Trying", withTag: false) {
      record.lastResponse = trying
      run(serverSendResponse(record, status: 100), on: record)
    }
    if isDraining {
      respondLocally(
        record, 503, "Service Unavailable", extra: [("Retry-After", String(configuration.retryAfterSeconds))])
      return
    }
    let hash = loopHash(request)
    for index in 0..<request.viaCount {
      if let via = request.via(at: index), let branch = via.branch, isLocalSentBy(via),
        branches.isOurs(branch, loopHash: hash)
      {
        counters.loopsDetected += 1
        respondLocally(record, 482, "Loop Detected")
        return
      }
    }
    let call: RoutedCall
    let startedUnixMs = clock.unixMs
    let recordID = recordIDs.next()
    let routeContext = RouteContext(
      nowMs: clock.monotonicMs, unixMs: startedUnixMs, liveCalls: liveCalls, cps: cpsLimiter,
      randomSeed: recordIDs.nextWord(), credit: credit, callUUID: recordID)
    let decision: RouteDecision
    if let registrar, let uri = request.requestURI, registrar.serves(host: uri.host) {
      // A call for a registered address of record: its contacts, best q first.
      let bindings = registrar.lookup(request.requestURIText ?? "", nowMs: clock.monotonicMs)
      decision =
        bindings.isEmpty
        ? .reject(status: 480, reason: "Temporarily Unavailable")
        : .targets(bindings.map { RouteTarget(destination: $0.source, requestURI: $0.contact) })
    } else {
      decision = router.route(invite: request, source: source, context: routeContext)
    }
    switch decision {
    case .refuse(let refusal):
      counters.callsRefused += 1
      switch refusal.kind {
      case .policy: break
      case .callRate: counters.callRateRefusals += 1
      case .capacity: counters.capacityRefusals += 1
      case .credit: counters.creditRefusals += 1
      }
      logRefusal(request, source: source, status: refusal.status, reason: refusal.reason)
      respondLocally(
        record, refusal.status, refusal.reason, extra: refusal.headers.map { ($0.name, $0.value) })
      return
    case .route(let routed) where routed.targets.isEmpty:
      _ = credit?.end(call: recordID, durationMs: nil, nowUnixMs: startedUnixMs)
      counters.callsRefused += 1
      respondLocally(record, 404, "Not Found")
      return
    case .route(let routed):
      call = routed
    }
    let targets = call.targets
    decrementMaxForwards(request)
    let originalFrom = request.fromURI?.user
    var callerSide: (from: String, contact: String, routeSet: [String])?
    if call.policy.endsCalls, let from = request.fromHeaderValue, let contact = request.remoteTargetText {
      callerSide = (from, contact, request.recordRouteValues)
    }
    if !call.edits.isEmpty { call.edits.apply(to: request) }
    let originalTo = request.requestURI?.user ?? request.toURI?.user
    let summary = CallSummary(
      recordID: recordID, callID: request.callID ?? "", fromTag: request.fromTag ?? "", toTag: nil,
      fromUser: call.callerNumber ?? originalFrom, toUser: call.calledNumber ?? originalTo,
      originalFromUser: originalFrom, originalToUser: originalTo, ingress: call.ingress, egress: nil,
      source: source, destination: nil, startedUnixMs: startedUnixMs, answeredUnixMs: nil, endedUnixMs: 0,
      finalStatus: 0, outcome: .failed, attempts: 0, endedBy: nil,
      rating: CallRating(customer: call.customerQuote))
    let context = InviteContext(server: record, request: request, call: call, summary: summary)
    record.context = context
    callNumbers &+= 1
    context.callNumber = callNumbers
    context.callerSide = callerSide
    liveCalls.add(context.callNumber, ingress: call.ingress)
    // Record-Route (§16.6 step 4): towards the caller on the interface it used;
    // a second entry when the callee side uses another transport (RFC 5658).
    let outbound = localEndpoint(for: targets[0].destination)
    if outbound.transport != local.transport || outbound.isIPv6 != local.isIPv6 {
      request.prependRecordRoute(recordRoute(local))
    }
    request.prependRecordRoute(recordRoute(outbound))
    context.recordRoutesSent = request.recordRouteCount
    context.loopHash = hash
    if targets.count > 1, targets.contains(where: { !$0.edits.isEmpty }) {
      context.baseRequest = request.serialized()
    }
    tryNextTarget(context)
  }

  private func tryNextTarget(_ context: InviteContext) {
    guard context.nextTarget < context.targets.count, !context.cancelled else { return }
    let target = context.targets[context.nextTarget]
    context.nextTarget += 1
    context.summary.attempts += 1
    context.summary.destination = target.destination
    context.summary.egress = target.egress
    context.summary.rating.supplier = target.supplierQuote
    liveCalls.setEgress(context.callNumber, target.egress)
    if context.nextTarget > 1, let base = context.baseRequest, let fresh = try? SIPMessage.parse(base) {
      context.request = fresh
    } else if context.nextTarget > 1 {
      context.request?.removeTopVia()
    }
    guard let request = context.request else { return }
    if !target.edits.isEmpty { target.edits.apply(to: request) }
    if let uri = target.requestURI { request.setRequestURI(uri) }
    if let user = target.requestURIUser { request.setRequestURIUser(user) }
    let branch = branches.next(loopHash: context.loopHash)
    request.prependVia(via(for: target.destination, branch: branch))
    counters.invitesForwarded += 1
    let record = ClientTransactionRecord(
      machine: .invite(
        ClientInviteTransaction(
          reliable: target.destination.transport.isReliable, timers: configuration.timers)),
      key: .client(branch: branch, method: "INVITE"), branch: branch, destination: target.destination,
      request: request.serialized(), owner: .invite(context))
    record.target = target
    register(record)
    restartDeadline(context.server)
    context.branch = record
    record.timerC = schedule(.timerC(record), afterMs: configuration.inviteTimeoutMs)
    if configuration.failoverTimeoutMs > 0 {
      _ = schedule(.targetSilent(record), afterMs: configuration.failoverTimeoutMs)
    }
    run(clientStart(record), on: record, response: nil)
  }

  private func receiveCancel(_ cancel: SIPMessage, via: Via, record: ServerTransactionRecord) {
    // §9.2 / §16.10: the CANCEL matches the INVITE server transaction by branch.
    let inviteKey = serverKey(cancel, via: via, method: .invite)
    guard let invite = servers[inviteKey], let context = invite.context else {
      respondLocally(record, 481, "Call/Transaction Does Not Exist")
      return
    }
    respondLocally(record, 200, "OK")
    guard !context.finalSent, !context.answerHeld, !context.cancelled else { return }
    context.cancelled = true
    context.summary.outcome = .cancelled
    if let branch = context.branch, !branch.receivedFinal {
      cancelBranch(branch)
    }
  }

  func cancelBranch(_ branch: ClientTransactionRecord) {
    guard !branch.cancelSent else { return }
    guard branch.receivedProvisional else {
      branch.cancelPending = true
      return
    }
    branch.cancelSent = true
    guard let bytes = SIPRequestBuilder.cancel(forInvite: branch.request) else { return }
    let record = ClientTransactionRecord(
      machine: .nonInvite(
        ClientNonInviteTransaction(
          reliable: branch.destination.transport.isReliable, timers: configuration.timers)),
      key: .client(branch: branch.branch, method: "CANCEL"), branch: branch.branch,
      destination: branch.destination, request: bytes, owner: .cancel)
    register(record)
    run(clientStart(record), on: record, response: nil)
  }

  /// In-dialog requests (To tag present) and ACKs for 2xx: loose routing by
  /// the Route set (§16.4, §16.12), else by the dialog's remembered peers.
  private func forwardInDialog(
    _ request: SIPMessage, method: SIPMethod, source: Endpoint, server: ServerTransactionRecord?
  ) {
    // §16.4: remove the Route entries that name this switch (one or two, RFC 5658).
    while let route = request.topRoute, isLocal(route) { request.removeTopRoute() }
    let dialog = findDialog(request)
    var destination: Endpoint?
    if let route = request.topRoute {
      destination = endpoint(of: route)
    } else if let dialog {
      destination = request.fromTag == dialog.callerTag ? dialog.callee : dialog.caller
    } else if let uri = request.requestURI, !isLocal(uri) {
      destination = endpoint(of: uri)
    }
    guard let destination else {
      if let server { respondLocally(server, 481, "Call/Transaction Does Not Exist") }
      return
    }
    var endsDialog: DialogKey?
    if let dialog, let number = request.cseq?.number {
      if request.fromTag == dialog.callerTag {
        dialog.callerCSeq = max(dialog.callerCSeq, number)
      } else {
        dialog.calleeCSeq = max(dialog.calleeCSeq, number)
      }
    }
    if let dialog, method == .bye {
      if !dialog.byeSeen {
        dialog.byeSeen = true
        dialog.summary.markEnded(unixMs: clock.unixMs, monotonicMs: clock.monotonicMs)
        dialog.summary.endedBy = request.fromTag == dialog.callerTag ? "caller" : "callee"
      }
      endsDialog = dialog.key
    }
    decrementMaxForwards(request)
    guard let server else {
      // ACK for a 2xx: its own end-to-end transaction, forwarded statelessly (§16.11).
      request.prependVia(via(for: destination, branch: branches.next(loopHash: 0)))
      counters.statelessForwards += 1
      sender.send(.message(request), to: destination)
      return
    }
    let branch = branches.next(loopHash: 0)
    request.prependVia(via(for: destination, branch: branch))
    let reliable = destination.transport.isReliable
    let isInvite = method == .invite
    let record = ClientTransactionRecord(
      machine: isInvite
        ? .invite(ClientInviteTransaction(reliable: reliable, timers: configuration.timers))
        : .nonInvite(ClientNonInviteTransaction(reliable: reliable, timers: configuration.timers)),
      key: .client(branch: branch, method: method.description), branch: branch, destination: destination,
      request: request.serialized(), owner: .relay(server))
    record.endsDialog = endsDialog
    if let dialog, dialog.sessionInterval != nil, method == .invite || method == .update {
      record.refreshesDialog = dialog.key
    }
    server.forwarded = record
    register(record)
    run(clientStart(record), on: record, response: nil)
  }

  // MARK: Responses

  private func receiveResponse(_ response: SIPMessage, from source: Endpoint) {
    guard let via = response.topVia, let branch = via.branch, let cseq = response.cseq else { return }
    guard let record = clients[.client(branch: branch, method: cseq.method)] else {
      receiveStrayResponse(response, branch: branch, method: cseq.method)
      return
    }
    run(clientReceive(record, status: response.statusCode), on: record, response: response)
  }

  /// A response that matches no client transaction. RFC 3261 §16.7 / §18.1.2:
  /// dropped. Where it goes is never read from the message: the one kind a
  /// dialog still wants is a 2xx to an INVITE of ours retransmitted after
  /// its client transaction ended (Timer M, RFC 6026 §8.4); it goes to the
  /// dialog's peer that sent the INVITE (the caller for the initial one).
  private func receiveStrayResponse(_ response: SIPMessage, branch: String, method: String) {
    if method == "INVITE", (200..<300).contains(response.statusCode), branches.isOurs(branch),
      let dialog = findDialog(response)
    {
      response.removeTopVia()
      counters.statelessForwards += 1
      sender.send(
        .message(response), to: response.fromTag == dialog.callerTag ? dialog.caller : dialog.callee)
      return
    }
    counters.strayResponses += 1
    logger.debug(
      "stray response dropped",
      metadata: [
        "call_id": "\(response.callID ?? "")", "status": "\(response.statusCode)", "cseq": "\(method)",
      ])
  }

  /// §16.7: what the proxy does with a response its client transaction passed up.
  func responseFromBranch(_ record: ClientTransactionRecord, status: Int, response: SIPMessage?) {
    // Any provisional allows a CANCEL (§9.1), a relayed re-INVITE's too.
    if status < 200 { record.receivedProvisional = true }
    if status >= 200 {
      record.receivedFinal = true
      // A 2xx ends retransmissions and CANCEL for good (Accepted state).
      if status < 300 { record.request = [] }
    }
    switch record.owner {
    case .cancel, .local:
      return
    case .relay(let server):
      if (200..<300).contains(status), let key = record.refreshesDialog, let dialog = dialogs[key] {
        sessionRefreshed(dialog, response: response)
      }
      let answer = { [unowned self] in
        if let response {
          relay(response, status: status, to: server)
        } else {
          respondLocally(server, status, status == 503 ? "Service Unavailable" : "Request Timeout")
        }
      }
      // A final response to a BYE ends the dialog (whatever its status: the
      // call is over either way); it goes upstream once the record is durable.
      if status >= 200, let key = record.endsDialog, let dialog = dialogs[key] {
        endDialog(dialog, then: answer)
      } else {
        answer()
      }
    case .invite(let context):
      inviteResponse(context, record, status: status, response: response)
    }
  }

  func inviteResponse(
    _ context: InviteContext, _ record: ClientTransactionRecord, status: Int, response: SIPMessage?
  ) {
    if status < 200 {
      // Any provisional, 100 included, allows a CANCEL (§9.1) and shows the target is alive.
      record.receivedProvisional = true
      if record.cancelPending { cancelBranch(record) }
      guard status > 100 else { return }
      if let response, !context.finalSent, !context.answerHeld {
        let relayed = earlyMediaPolicy(context, record, response, status: status)
        relay(response, status: relayed, to: context.server)
      }
      return
    }
    if let timer = record.timerC {
      timerWheel.cancel(timer)
      record.timerC = nil
    }
    if status < 300 {
      guard let response else { return }
      // A retransmission of a 2xx held for its checkpoint: the held one goes first.
      if context.answerHeld {
        counters.retransmissionsAbsorbed += 1
        return
      }
      // Every 2xx goes upstream, retransmissions too (§16.7 step 5, RFC 6026).
      if !context.finalSent {
        filterAnswerCodecs(record, response, provisional: false)
        if let dialog = answered(context, response, record), let onCallAnswered {
          response.removeTopVia()
          context.answerHeld = true
          let server = context.server
          onCallAnswered(checkpoint(of: dialog)) { [unowned self] in
            context.answerHeld = false
            relay(response, status: status, alreadyStripped: true, to: server)
          }
          return
        }
      }
      response.removeTopVia()
      counters.statelessForwards += context.finalSent ? 1 : 0
      if context.finalSent {
        sender.send(.message(response), to: context.server.responseDestination)
      } else {
        relay(response, status: status, alreadyStripped: true, to: context.server)
      }
      return
    }
    guard !context.finalSent, !context.answerHeld else { return }
    // The supplier's status as this switch reads it (its release-cause mapping).
    var status = status
    if let mapping = record.target?.policy.releaseCauses, !mapping.isIdentity {
      let mapped = mapping.map(status)
      if mapped.status != status {
        status = mapped.status
        response?.setStatus(mapped.status, reason: mapped.reason ?? Self.reason(mapped.status))
      }
    }
    context.consider(status: status, response: response)
    // Failover (§16.7 step 6 with a sequential target set): 408, 5xx, timeout
    // and transport errors move on to the next target unless the caller cancelled.
    if context.call.failsOver(on: status), !context.cancelled, context.nextTarget < context.targets.count {
      tryNextTarget(context)
      return
    }
    // §16.7 step 6: the best of all the responses the targets gave.
    var best = context.best ?? (status, response)
    if context.cancelled { best = (487, nil) }
    // The customer's release-cause mapping; what it does not map follows
    // §16.7 step 6: a lone 503 goes upstream as 500 (503 means *this* element is busy).
    var final = (status: best.status, reason: String?.none)
    if !context.cancelled { final = context.call.policy.releaseCauses.map(best.status) }
    if final.status == best.status, best.status == 503 {
      best = (500, nil)
      final = (500, nil)
    }
    context.summary.finalStatus = best.status
    finishUnanswered(context)
    // A Reason header (RFC 3326) with the Q.850 cause when the answer has none.
    let hasReason = !(best.response?.headerValues("reason").isEmpty ?? true)
    let q850 = context.call.ingress == nil || hasReason ? nil : Q850.reasonHeader(forSIPStatus: final.status)
    if let response = best.response {
      if final.status != best.status {
        response.setStatus(final.status, reason: final.reason ?? Self.reason(final.status))
      }
      if let q850 { response.addHeader("Reason", q850) }
      relay(response, status: final.status, to: context.server)
    } else {
      respondLocally(
        context.server, final.status, final.reason ?? Self.reason(final.status),
        extra: q850.map { [("Reason", $0)] } ?? [])
    }
  }

  /// The first 2xx of a call: its dialog, its timers and its first credit step.
  @discardableResult
  private func answered(_ context: InviteContext, _ response: SIPMessage, _ record: ClientTransactionRecord)
    -> Dialog?
  {
    let forwarded = context.request
    context.request = nil
    context.baseRequest = nil
    counters.callsAnswered += 1
    var summary = context.summary
    summary.answeredUnixMs = clock.unixMs
    summary.answeredMonotonicMs = clock.monotonicMs
    summary.finalStatus = response.statusCode
    summary.outcome = .answered
    summary.toTag = response.toTag
    context.summary = summary
    guard let calleeTag = response.toTag, let callID = response.callID else {
      liveCalls.remove(context.callNumber)
      _ = credit?.end(call: summary.recordID, durationMs: nil, nowUnixMs: clock.unixMs)
      return nil
    }
    let dialog = Dialog(
      callID: callID, callerTag: summary.fromTag, calleeTag: calleeTag,
      caller: context.server.responseDestination, callee: record.destination, summary: summary,
      callNumber: context.callNumber)
    dialog.callerCSeq = forwarded?.cseq?.number ?? 0
    dialogs[dialog.key] = dialog
    // Live credit: the first step of every party, the supplier's from now.
    var grant: CreditGrant?
    if let credit {
      let supplier = record.target.flatMap { target in
        target.supplierQuote.flatMap { quote in
          target.egress.map { CreditParty(account: AccountRef(.supplier, $0.carrierID), quote: quote) }
        }
      }
      grant = credit.answered(call: summary.recordID, supplier: supplier)
    }
    let policy = context.call.policy
    guard policy.endsCalls, let caller = context.callerSide, let forwarded,
      let sentFrom = forwarded.fromHeaderValue, let calleeTo = response.toHeaderValue,
      let calleeContact = response.remoteTargetText
    else {
      scheduleLifetime(dialog)
      return dialog
    }
    // The 2xx's Record-Route holds the proxies past this one on top of the
    // entries the INVITE left with (ours included).
    let routes = response.recordRouteValues
    let downstream = Array(routes.prefix(max(0, routes.count - context.recordRoutesSent)))
    dialog.control = DialogControl(
      towardsCaller: DialogSide(
        requestURI: caller.contact, routeSet: caller.routeSet, from: calleeTo, to: caller.from),
      towardsCallee: DialogSide(
        requestURI: calleeContact, routeSet: downstream, from: sentFrom, to: calleeTo))
    let limits = [policy.maxDurationMs, record.target?.policy.maxDurationMs].compactMap { $0 }
    if let limit = limits.min() {
      dialog.maxDurationMs = limit
      dialog.limitTimer = schedule(.durationLimit(dialog), afterMs: limit)
    }
    if let paid = grant?.paidSeconds {
      dialog.paidMs = paid * 1000
      dialog.creditShortage = grant?.shortage
      scheduleCreditCheck(dialog)
    }
    if policy.sessionTimer,
      let interval = SessionTimerPolicy.negotiatedInterval(
        responseSessionExpires: response.headerValues("session-expires").first)
    {
      dialog.sessionInterval = interval
      dialog.sessionTimer = schedule(
        .sessionExpiry(dialog), afterMs: SessionTimerPolicy.deadlineMs(interval: interval))
    }
    scheduleLifetime(dialog)
    return dialog
  }

  private func checkpoint(of dialog: Dialog) -> DialogCheckpoint {
    DialogCheckpoint(
      summary: dialog.summary, caller: dialog.caller, callee: dialog.callee, control: dialog.control,
      callerCSeq: dialog.callerCSeq, calleeCSeq: dialog.calleeCSeq, maxDurationMs: dialog.maxDurationMs,
      sessionInterval: dialog.sessionInterval,
      creditParties: credit?.parties(call: dialog.summary.recordID) ?? [])
  }

  /// A 2xx to a re-INVITE or UPDATE refreshed the session (RFC 4028 §10).
  private func sessionRefreshed(_ dialog: Dialog, response: SIPMessage?) {
    guard let current = dialog.sessionInterval else { return }
    let interval =
      SessionTimerPolicy.negotiatedInterval(
        responseSessionExpires: response?.headerValues("session-expires").first) ?? current
    dialog.sessionInterval = interval
    if let timer = dialog.sessionTimer { timerWheel.cancel(timer) }
    dialog.sessionTimer = schedule(
      .sessionExpiry(dialog), afterMs: SessionTimerPolicy.deadlineMs(interval: interval))
  }

  /// The next credit step is reserved `extendLeadMs` before the paid time runs out.
  private func scheduleCreditCheck(_ dialog: Dialog) {
    guard let credit, let paidMs = dialog.paidMs, let answered = dialog.summary.answeredMonotonicMs else {
      return
    }
    if let timer = dialog.creditTimer { timerWheel.cancel(timer) }
    let now = clock.monotonicMs
    let checkAt = max(now, answered + paidMs - credit.configuration.extendLeadMs)
    dialog.creditTimer = schedule(.creditCheck(dialog), afterMs: checkAt - now)
  }

  /// Reserves the next step of `dialog`'s call. When nothing more can be
  /// reserved the call ends exactly when its paid time runs out: a cut-off
  /// is scheduled then, which tries once more (a top-up may have come) and
  /// otherwise sends BYE to both sides.
  private func creditStep(_ dialog: Dialog, cutting: Bool) {
    guard let credit, let paidMs = dialog.paidMs, let answered = dialog.summary.answeredMonotonicMs else {
      return
    }
    let grant = credit.extend(call: dialog.summary.recordID)
    guard let paid = grant.paidSeconds else {
      dialog.paidMs = nil
      return
    }
    if paid * 1000 > paidMs {
      dialog.paidMs = paid * 1000
      dialog.creditShortage = grant.shortage
      scheduleCreditCheck(dialog)
      return
    }
    dialog.creditShortage = grant.shortage ?? dialog.creditShortage
    let endAt = answered + paidMs
    if !cutting && endAt > clock.monotonicMs {
      dialog.creditTimer = schedule(.creditCut(dialog), afterMs: endAt - clock.monotonicMs)
      return
    }
    counters.callsEndedByCredit += 1
    let reason = dialog.creditShortage == .spendLimit ? "24 Hour Spend Limit Reached" : "Credit Exhausted"
    endCallFromSwitch(dialog, endedBy: "credit", reason: reason, endedAtMonotonicMs: endAt)
  }

  /// The switch ends an answered call (maximum duration, dead session, no
  /// credit): BYE to both sides, and the call is over now, or at
  /// `endedAtMonotonicMs` when the switch's own deadline says when (a timer
  /// may fire a little late; the call is not billed for that).
  func endCallFromSwitch(
    _ dialog: Dialog, endedBy: String, reason: String, endedAtMonotonicMs: Int64? = nil
  ) {
    guard dialogs.removeValue(forKey: dialog.key) != nil else { return }
    cancelDialogTimers(dialog)
    if let control = dialog.control {
      let header = "SIP;cause=200;text=\"\(reason)\""
      sendBye(
        control.towardsCallee, cseq: dialog.callerCSeq &+ 1, callID: dialog.callID, to: dialog.callee,
        reason: header)
      sendBye(
        control.towardsCaller, cseq: dialog.calleeCSeq &+ 1, callID: dialog.callID, to: dialog.caller,
        reason: header)
    }
    liveCalls.remove(dialog.callNumber)
    let now = clock.monotonicMs
    let endedAt = min(now, endedAtMonotonicMs ?? now)
    dialog.summary.markEnded(unixMs: clock.unixMs - (now - endedAt), monotonicMs: endedAt)
    dialog.summary.endedBy = endedBy
    counters.callsEnded += 1
    report(dialog.summary, then: nil)
  }

  private func sendBye(_ side: DialogSide, cseq: UInt32, callID: String, to peer: Endpoint, reason: String) {
    let branch = branches.next(loopHash: 0)
    let bytes = SIPDialogRequestBuilder.request(
      method: "BYE", requestURI: side.requestURI, routeSet: side.routeSet,
      via: via(for: peer, branch: branch),
      from: side.from, to: side.to, callID: callID, cseq: cseq, maxForwards: configuration.defaultMaxForwards,
      extraHeaders: [("Reason", reason)]
        + (configuration.serverHeader.isEmpty ? [] : [("User-Agent", configuration.serverHeader)]))
    let record = ClientTransactionRecord(
      machine: .nonInvite(
        ClientNonInviteTransaction(reliable: peer.transport.isReliable, timers: configuration.timers)),
      key: .client(branch: branch, method: "BYE"), branch: branch, destination: peer, request: bytes,
      owner: .local)
    register(record)
    run(clientStart(record), on: record, response: nil)
  }

  private func cancelDialogTimers(_ dialog: Dialog) {
    if let timer = dialog.limitTimer { timerWheel.cancel(timer) }
    if let timer = dialog.sessionTimer { timerWheel.cancel(timer) }
    if let timer = dialog.creditTimer { timerWheel.cancel(timer) }
    if let timer = dialog.lifetimeTimer { timerWheel.cancel(timer) }
    dialog.lifetimeTimer = nil
    dialog.limitTimer = nil
    dialog.sessionTimer = nil
    dialog.creditTimer = nil
  }

  /// A provisional from the supplier on its way to the caller: early media
  /// off on either side turns a 18x with SDP into a 180 without it; else the
  /// SDP is held to the supplier's codec policy. Returns the status relayed.
  private func earlyMediaPolicy(
    _ context: InviteContext, _ record: ClientTransactionRecord, _ response: SIPMessage, status: Int
  ) -> Int {
    guard response.bodyCount > 0 else { return status }
    let allowed = context.call.policy.earlyMedia && (record.target?.policy.earlyMedia ?? true)
    if !allowed {
      response.setStatus(180, reason: "Ringing")
      response.removeBody()
      return 180
    }
    filterAnswerCodecs(record, response, provisional: true)
    return status
  }

  /// Holds an SDP answer to the supplier's codec policy. A provisional
  /// left with no allowed codec loses its SDP; a 2xx is counted and logged.
  private func filterAnswerCodecs(
    _ record: ClientTransactionRecord, _ response: SIPMessage, provisional: Bool
  ) {
    guard let codecs = record.target?.policy.codecs, !codecs.isEmpty, let body = response.body,
      let sdp = SessionDescription(bytes: body)
    else { return }
    switch codecs.filterAnswer(sdp) {
    case .unchanged: break
    case .rewritten(let filtered): response.replaceBody(filtered.bytes, contentType: "application/sdp")
    case .noCommonCodec:
      counters.answersWithoutAllowedCodec += 1
      if provisional {
        response.removeBody()
      } else {
        logger.warning(
          "supplier answered with no allowed codec",
          metadata: ["call_id": "\(LogText.escaped(response.callID))"])
      }
    }
  }

  func finishUnanswered(_ context: InviteContext) {
    guard !context.finished else { return }
    context.finished = true
    context.request = nil
    context.baseRequest = nil
    liveCalls.remove(context.callNumber)
    context.summary.markEnded(unixMs: clock.unixMs, monotonicMs: clock.monotonicMs)
    if context.summary.outcome == .cancelled {
      counters.callsCancelled += 1
    } else {
      context.summary.outcome = .failed
      counters.callsFailed += 1
    }
    report(context.summary, then: nil)
  }

  private func endDialog(_ dialog: Dialog, then answer: @escaping () -> Void) {
    guard dialogs.removeValue(forKey: dialog.key) != nil else { return answer() }
    cancelDialogTimers(dialog)
    liveCalls.remove(dialog.callNumber)
    counters.callsEnded += 1
    report(dialog.summary, then: answer)
  }

  /// Logs the call's outcome and hands it to `onCallEnded`; `answer` (the
  /// BYE's final response) runs when the handler releases it.
  private func report(_ summary: CallSummary, then answer: (() -> Void)?) {
    var summary = summary
    if let credit {
      summary.charges = credit.end(
        call: summary.recordID, durationMs: summary.outcome == .answered ? summary.answeredDurationMs : nil,
        nowUnixMs: clock.unixMs)
    }
    logger.info(
      "call \(summary.outcome)",
      metadata: [
        "call_id": "\(LogText.escaped(summary.callID))", "status": "\(summary.finalStatus)",
        "from": "\(LogText.escaped(summary.fromUser))",
        "to": "\(LogText.escaped(summary.toUser))", "source": "\(summary.source)",
        "destination": "\(LogText.escaped(summary.destination.map { "\($0)" }))",
        "attempts": "\(summary.attempts)",
        "duration_s": "\(summary.durationSeconds)", "ended_by": "\(summary.endedBy ?? "")",
      ])
    guard let onCallEnded else {
      answer?()
      return
    }
    onCallEnded(summary, answer)
  }

  /// Sends a downstream response upstream through the server transaction,
  /// with this switch's Via removed (§16.7 step 9).
  private func relay(
    _ response: SIPMessage, status: Int, alreadyStripped: Bool = false, to server: ServerTransactionRecord
  ) {
    // A final already went up (a deadline answered first): nothing more to say,
    // but for 2xx retransmissions through an INVITE transaction in Accepted.
    let retransmitted2xx =
      server.isInvite && (200..<300).contains(server.lastStatus) && (200..<300).contains(status)
    if server.isTerminated || (server.hasFinalResponse && !retransmitted2xx) { return }
    if !alreadyStripped { response.removeTopVia() }
    server.lastResponse = response.serialized()
    run(serverSendResponse(server, status: status), on: server)
  }

  /// Timer C, or a target silent past `failoverTimeoutMs`: the branch is
  /// given up (cancelled if it rang) and counts as a 408, which fails over.
  private func timerCFired(_ record: ClientTransactionRecord) {
    guard case .invite(let context) = record.owner, !record.receivedFinal else { return }
    counters.transactionTimeouts += 1
    if record.receivedProvisional {
      cancelBranch(record)
    } else {
      terminate(record)
    }
    record.receivedFinal = true
    inviteResponse(context, record, status: 408, response: nil)
  }

  // MARK: Dialogs

  func findDialog(_ message: SIPMessage) -> Dialog? {
    guard !dialogs.isEmpty, let callID = message.callID, let from = message.fromTag, let to = message.toTag
    else {
      return nil
    }
    return dialogs[DialogKey(callID: callID, tagA: from, tagB: to)]
  }

  // MARK: Transaction plumbing

  func newServerTransaction(
    _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint
  ) -> ServerTransactionRecord {
    let reliable = source.transport.isReliable
    let machine: ServerTransactionRecord.Machine =
      method == .invite
      ? .invite(ServerInviteTransaction(reliable: reliable, timers: configuration.timers))
      : .nonInvite(ServerNonInviteTransaction(reliable: reliable, timers: configuration.timers))
    let destination: Endpoint =
      if reliable || via.hasRport {
        source
      } else {
        Endpoint(transport: .udp, host: source.host, port: via.port ?? 5060)
      }
    tagCounter &+= 1
    let record = ServerTransactionRecord(
      machine: machine, key: key, responseDestination: destination, source: source,
      requestBytes: request.originalBytes, localTag: processTag + String(tagCounter, radix: 36))
    servers[key] = record
    startDeadline(record)
    // The first copy goes to the TU; the machine's own passRequestToTU is implied.
    _ = requestArrived(record)
    return record
  }

  private func serverKey(_ request: SIPMessage, via: Via, method: SIPMethod) -> TransactionKey {
    let name = method.description
    if via.hasRFC3261Branch, let branch = via.branch {
      return .server(branch: branch, sentBy: via.sentBy, method: name)
    }
    // RFC 2543 peers (§17.2.3): match on the request's identity instead.
    let identity = [
      request.callID ?? "", request.fromTag ?? "", String(request.cseq?.number ?? 0),
      request.requestURIText ?? "",
    ].joined(separator: "|")
    return .server(branch: "2543|" + identity, sentBy: via.sentBy, method: name)
  }

  func respondLocally(
    _ record: ServerTransactionRecord, _ status: Int, _ reason: String, extra: [(String, String)] = []
  ) {
    guard let bytes = localResponse(record, status, reason, withTag: status > 100, extra: extra) else {
      return
    }
    counters.locallyAnswered += 1
    record.lastResponse = bytes
    run(serverSendResponse(record, status: status), on: record)
  }

  private func localResponse(
    _ record: ServerTransactionRecord, _ status: Int, _ reason: String, withTag: Bool,
    extra: [(String, String)] = []
  ) -> [UInt8]? {
    var headers = extra
    if !configuration.serverHeader.isEmpty { headers.append(("Server", configuration.serverHeader)) }
    return record.requestBytes.withUnsafeBytes { bytes in
      SIPResponseBuilder.response(
        to: bytes, head: RawSIPHead(scanning: bytes), status: status, reason: reason,
        toTag: withTag ? record.localTag : nil, source: record.source, extraHeaders: headers)
    }
  }

  // Machine calls: each steps the record's machine in place and returns its actions.

  private func step(
    _ record: ServerTransactionRecord, invite: (inout ServerInviteTransaction) -> [TransactionAction],
    nonInvite: (inout ServerNonInviteTransaction) -> [TransactionAction]
  ) -> [TransactionAction] {
    switch record.machine {
    case .invite(var machine):
      defer { record.machine = .invite(machine) }
      return invite(&machine)
    case .nonInvite(var machine):
      defer { record.machine = .nonInvite(machine) }
      return nonInvite(&machine)
    }
  }

  private func step(
    _ record: ClientTransactionRecord, invite: (inout ClientInviteTransaction) -> [TransactionAction],
    nonInvite: (inout ClientNonInviteTransaction) -> [TransactionAction]
  ) -> [TransactionAction] {
    switch record.machine {
    case .invite(var machine):
      defer { record.machine = .invite(machine) }
      return invite(&machine)
    case .nonInvite(var machine):
      defer { record.machine = .nonInvite(machine) }
      return nonInvite(&machine)
    }
  }

  private func serverSendResponse(_ record: ServerTransactionRecord, status: Int) -> [TransactionAction] {
    record.lastStatus = max(record.lastStatus, status)
    if status >= 200 { record.requestBytes = [] }
    return step(
      record, invite: { $0.sendResponse(status: status) }, nonInvite: { $0.sendResponse(status: status) })
  }

  private func requestArrived(_ record: ServerTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.receiveRequest() }, nonInvite: { $0.receiveRequest() })
  }

  private func receiveACK(_ record: ServerTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.receiveACK() }, nonInvite: { _ in [] })
  }

  private func fire(_ record: ServerTransactionRecord, _ timer: TransactionTimer) -> [TransactionAction] {
    step(record, invite: { $0.timerFired(timer) }, nonInvite: { $0.timerFired(timer) })
  }

  private func clientStart(_ record: ClientTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.start() }, nonInvite: { $0.start() })
  }

  private func clientReceive(_ record: ClientTransactionRecord, status: Int) -> [TransactionAction] {
    step(
      record, invite: { $0.receive(responseStatus: status) },
      nonInvite: { $0.receive(responseStatus: status) })
  }

  private func fire(_ record: ClientTransactionRecord, _ timer: TransactionTimer) -> [TransactionAction] {
    step(record, invite: { $0.timerFired(timer) }, nonInvite: { $0.timerFired(timer) })
  }

  private func transportFailed(_ record: ClientTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.transportFailed() }, nonInvite: { $0.transportFailed() })
  }

  // Action drivers.

  private func run(_ actions: [TransactionAction], on record: ServerTransactionRecord) {
    for action in actions {
      switch action {
      case .sendLastResponse:
        if !record.lastResponse.isEmpty {
          sender.send(.bytes(record.lastResponse), to: record.responseDestination)
        }
        // In Accepted the switch relays the UAS's own 2xx retransmissions; it keeps no copy.
        if record.isInvite, (200..<300).contains(record.lastStatus) { record.lastResponse = [] }
      case .startTimer(let timer, let milliseconds):
        if let old = record.timers[timer] { timerWheel.cancel(old) }
        record.timers[timer] = schedule(.server(record, timer), afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = record.timers.removeValue(forKey: timer) { timerWheel.cancel(old) }
      case .timeout:
        counters.transactionTimeouts += 1
      case .terminate:
        terminate(record)
      case .sendRequest, .sendACK, .passResponseToTU, .passRequestToTU, .transportError:
        break
      }
    }
  }

  private func run(_ actions: [TransactionAction], on record: ClientTransactionRecord, response: SIPMessage?)
  {
    for action in actions {
      switch action {
      case .sendRequest:
        sender.send(.bytes(record.request), to: record.destination)
      case .sendACK:
        if record.ack == nil, let response {
          record.ack = response.withOriginalBytes {
            SIPRequestBuilder.ack(forInvite: record.request, response: $0)
          }
          record.request = []
        }
        if let ack = record.ack { sender.send(.bytes(ack), to: record.destination) }
      case .passResponseToTU:
        if let response { responseFromBranch(record, status: response.statusCode, response: response) }
      case .startTimer(let timer, let milliseconds):
        if let old = record.timers[timer] { timerWheel.cancel(old) }
        record.timers[timer] = schedule(.client(record, timer), afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = record.timers.removeValue(forKey: timer) { timerWheel.cancel(old) }
      case .timeout:
        counters.transactionTimeouts += 1
        if !record.receivedFinal { responseFromBranch(record, status: 408, response: nil) }
      case .transportError:
        if !record.receivedFinal { responseFromBranch(record, status: 503, response: nil) }
      case .terminate:
        terminate(record)
      case .sendLastResponse, .passRequestToTU:
        break
      }
    }
  }

  func terminate(_ record: ServerTransactionRecord) {
    guard !record.isTerminated else { return }
    record.isTerminated = true
    for id in record.timers.values { timerWheel.cancel(id) }
    record.timers.removeAll()
    if let deadline = record.deadline { timerWheel.cancel(deadline) }
    record.deadline = nil
    record.context = nil
    record.forwarded = nil
    if servers[record.key] === record { servers.removeValue(forKey: record.key) }
  }

  func terminate(_ record: ClientTransactionRecord) {
    guard !record.isTerminated else { return }
    record.isTerminated = true
    for id in record.timers.values { timerWheel.cancel(id) }
    record.timers.removeAll()
    if let timer = record.timerC { timerWheel.cancel(timer) }
    record.timerC = nil
    if let deadline = record.deadline { timerWheel.cancel(deadline) }
    record.deadline = nil
    // A branch and its context hold each other: the context lets go of an ended branch.
    if case .invite(let context) = record.owner, context.branch === record { context.branch = nil }
    if clients[record.key] === record { clients.removeValue(forKey: record.key) }
  }

  /// The wheel counts from its last `expire`; timers start from now.
  func schedule(_ event: TimerEvent, afterMs: Int64) -> TimerID {
    timerWheel.schedule(event, afterMs: afterMs + max(0, clock.monotonicMs - timerWheel.nowMs))
  }

  // MARK: Addresses

  private func isLocal(_ uri: SIPURI) -> Bool {
    guard let host = uri.host?.lowercased() else { return false }
    let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    guard localHosts.contains(bare) else { return false }
    return localPorts.contains(uri.port ?? (uri.scheme.lowercased() == "sips" ? 5061 : 5060))
  }

  private func isLocalSentBy(_ via: Via) -> Bool {
    let host = via.host.lowercased()
    let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    return localHosts.contains(bare) && localPorts.contains(via.port ?? 5060)
  }

  private func localEndpoint(for destination: Endpoint) -> Endpoint {
    let locals = configuration.localEndpoints
    return locals.first { $0.transport == destination.transport && $0.isIPv6 == destination.isIPv6 }
      ?? locals.first { $0.isIPv6 == destination.isIPv6 }
      ?? locals.first
      ?? Endpoint(transport: destination.transport, host: "127.0.0.1", port: 5060)
  }

  private func advertised(_ local: Endpoint) -> String {
    if let host = configuration.advertisedHost, !host.isEmpty { return "\(host):\(local.port)" }
    return local.hostPort
  }

  private func via(for destination: Endpoint, branch: String) -> String {
    let local = localEndpoint(for: destination)
    return "SIP/2.0/\(destination.transport.viaToken) \(advertised(local));branch=\(branch)"
  }

  private func recordRoute(_ local: Endpoint) -> String {
    let transport = local.transport == .udp ? "" : ";transport=\(local.transport.rawValue)"
    return "<sip:\(advertised(local))\(transport);lr>"
  }

  private func endpoint(of uri: SIPURI) -> Endpoint? {
    guard let host = uri.host else { return nil }
    let transport =
      uri.parameter("transport")?.value.flatMap { TransportKind(rawValue: $0.lowercased()) } ?? .udp
    let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    return Endpoint(transport: transport, host: bare, port: uri.port ?? 5060)
  }

  private func decrementMaxForwards(_ request: SIPMessage) {
    if let value = request.maxForwards {
      request.setMaxForwards(value - 1)
    } else {
      request.setMaxForwards(configuration.defaultMaxForwards)
    }
  }

  private func loopHash(_ request: SIPMessage) -> UInt32 {
    BranchGenerator.loopHash([
      request.requestURIText, request.callID, request.fromTag, request.toTag,
      request.cseq.map { String($0.number ?? 0) },
    ])
  }

  static let allow = "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY, MESSAGE"

  private static func reason(_ status: Int) -> String {
    switch status {
    case 403: "Forbidden"
    case 404: "Not Found"
    case 408: "Request Timeout"
    case 480: "Temporarily Unavailable"
    case 484: "Address Incomplete"
    case 486: "Busy Here"
    case 487: "Request Terminated"
    case 488: "Not Acceptable Here"
    case 500: "Server Internal Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Server Time-out"
    case 600: "Busy Everywhere"
    case 603: "Decline"
    default: "Error"
    }
  }
}
