import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// The initial INVITE (RFC 3261 §16.2-16.6): admission (overload, 100
/// Trying, draining, loops), the router's decision, the call's context and
/// its Record-Route, then one branch per target in turn, each under Timer C.
/// Its responses: `ProxyCore+InviteResponses`.
extension ProxyCore {
  func receiveInitialInvite(
    _ request: SIPMessage, source: Endpoint, local: Endpoint, record: ServerTransactionRecord,
    router: any CallRouter, caller: RetailCaller? = nil
  ) {
    guard let hash = admitInitialInvite(request, source: source, record: record) else { return }
    let startedUnixMs = clock.unixMs
    let recordID = recordIDs.next()
    let routeContext = RouteContext(
      nowMs: clock.monotonicMs, unixMs: startedUnixMs, liveCalls: liveCalls, cps: cpsLimiter,
      randomSeed: recordIDs.nextWord(), credit: credit, callUUID: recordID, caller: caller,
      monthlyCalls: monthlyCalls, drained: drainedTrunks.isEmpty ? nil : drainedTrunks,
      supplierHealth: supplierHealth, deviceTargets: registrar == nil ? nil : deviceTargetsHook,
      startForwardedLeg: forwardedLegStarter)
    let call: RoutedCall
    switch router.route(invite: request, source: source, context: routeContext) {
    case .refuse(let refusal):
      tally.callsRefused += 1
      switch refusal.kind {
      case .policy: break
      case .callRate: tally.callRateRefusals += 1
      case .capacity: tally.capacityRefusals += 1
      case .credit: tally.creditRefusals += 1
      }
      quality.refused(reason: refusal.reason)
      logRefusal(request, source: source, status: refusal.status, reason: refusal.reason)
      respondLocally(
        record, refusal.status, refusal.reason, extra: refusal.headers.map { ($0.name, $0.value) })
      return
    case .route(let routed) where routed.targets.isEmpty:
      _ = credit?.end(call: recordID, durationMs: nil, nowUnixMs: startedUnixMs)
      monthlyCalls.end(call: recordID, answered: false)
      tally.callsRefused += 1
      respondLocally(record, 404, "Not Found")
      return
    case .route(let routed) where !request.requestURIIsSIPS:
      call = routed  // no copy to change: the common call
    case .route(var routed):
      guard Self.keepSecureTargets(&routed, for: request) else {
        _ = credit?.end(call: recordID, durationMs: nil, nowUnixMs: startedUnixMs)
        monthlyCalls.end(call: recordID, answered: false)
        tally.callsRefused += 1
        respondLocally(record, 480, "Secure Transport Unavailable")
        return
      }
      call = routed
    }
    let context = startCall(
      request, call: call, source: source, record: record, recordID: recordID, startedUnixMs: startedUnixMs)
    context.summary.userID = caller?.user.id
    context.summary.phoneNumberID = caller?.user.callerNumber?.id
    noteInbound(call, in: &context.summary)
    emit(.initiating, context.summary)
    // Record-Route (§16.6 step 4): towards the caller on the interface it used;
    // a second entry when the callee side differs (RFC 5658); sips: per side
    // (RFC 5630; `ProxyCore+RecordRoute`).
    insertRecordRoute(request, arrivedOn: local, firstTarget: call.targets[0])
    context.recordRoutesSent = request.recordRouteCount
    context.loopHash = hash
    var failoverParses = true
    if call.targets.count > 1, call.targets.contains(where: { !$0.edits.isEmpty }) {
      // Failover parses these bytes again, so they must meet the caps of an
      // inbound message: libosip2 escapes URI bytes when it serializes (a `\`
      // in a user part leaves as `%5C`), which can take a message past them
      // (docs/limits.md). Beyond them the call has its first target only.
      let base = request.serialized()
      failoverParses = SIPMessageLimits().admits(base)
      context.baseRequest = failoverParses ? base : nil
    }
    if call.forking == .parallel {
      startFork(context)
    } else {
      tryNextTarget(context)
    }
    if !failoverParses { context.nextTarget = context.targets.count }
  }

  /// RFC 3261 §26.2.2, RFC 5630 §3.1.3: a SIPS request is sent over TLS on
  /// every hop, so targets over another transport are not tried. False when
  /// none is left.
  static func keepSecureTargets(_ routed: inout RoutedCall, for request: SIPMessage) -> Bool {
    guard request.requestURIIsSIPS else { return true }
    routed.targets.removeAll { $0.destination.transport != .tls }
    return !routed.targets.isEmpty
  }

  /// What comes before any routing: overload shedding (before even 100
  /// Trying, docs/overload.md), 100 Trying (§16.2), draining, loop detection
  /// (§16.3 item 4). Returns the INVITE's loop hash, or nil once answered.
  private func admitInitialInvite(
    _ request: SIPMessage, source: Endpoint, record: ServerTransactionRecord
  ) -> UInt32? {
    if overload.shedCause(invite: source.host, nowMs: clock.monotonicMs) != nil {
      respondLocally(
        record, 503, "Service Unavailable",
        extra: [("Retry-After", String(overload.settings.retryAfterSeconds))])
      return nil
    }
    if let trying = localResponse(record, 100, "Trying", withTag: false) {
      transactions.respond(record, bytes: trying, status: 100)
    }
    if isDraining {
      respondLocally(
        record, 503, "Service Unavailable", extra: [("Retry-After", String(configuration.retryAfterSeconds))])
      return nil
    }
    let hash = loopHash(request)
    for index in 0..<request.viaCount {
      if let via = request.via(at: index), let branch = via.branch, isLocalSentBy(via),
        branches.isOurs(branch, loopHash: hash)
      {
        tally.loopsDetected += 1
        respondLocally(record, 482, "Loop Detected")
        return nil
      }
    }
    return hash
  }

  /// A routed call: Max-Forwards, the ingress edits, its summary and its
  /// context on the server transaction, and its place in `LiveCalls`.
  private func startCall(
    _ request: SIPMessage, call: RoutedCall, source: Endpoint, record: ServerTransactionRecord,
    recordID: String, startedUnixMs: Int64
  ) -> InviteContext {
    decrementMaxForwards(request)
    let originalFrom = request.fromURIUser
    var callerSide: (from: String, contact: String, routeSet: [String])?
    if call.policy.endsCalls, let from = request.fromHeaderValue, let contact = request.remoteTargetText {
      callerSide = (from, contact, request.recordRouteValues)
    }
    if !call.edits.isEmpty { call.edits.apply(to: request) }
    let originalTo = request.requestURIUser ?? request.toURIUser
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
    return context
  }

  func tryNextTarget(_ context: InviteContext) {
    // Its callers start no branch once the caller has its final response or
    // an answer is on its way (issue 19: a 408 upstream while the next phone
    // rang): failover runs on a final response passed up before any
    // (`inviteResponse`), a fork's next group checks (`advanceFork`).
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
    tally.invitesForwarded += 1
    let record = ClientTransactionRecord(
      machine: ClientTransactionMachine(
        invite: true, reliable: target.destination.transport.isReliable, timers: configuration.timers),
      key: .client(branch: branch, method: "INVITE"), branch: branch, destination: target.destination,
      request: request.serialized(), owner: .invite(context))
    record.target = target
    transactions.register(record)
    transactions.restartDeadline(context.server)
    context.branch = record
    if context.call.forking == .parallel {
      // The fork's one no-answer timeout stands for each branch's Timer C.
      context.fork?.branches.append(record)
    } else {
      record.timerC = schedule(.timerC(record), afterMs: configuration.inviteTimeoutMs)
    }
    if configuration.failoverTimeoutMs > 0 {
      _ = schedule(.targetSilent(record), afterMs: configuration.failoverTimeoutMs)
    }
    transactions.start(record)
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
      machine: ClientTransactionMachine(
        invite: false, reliable: branch.destination.transport.isReliable, timers: configuration.timers),
      key: .client(branch: branch.branch, method: "CANCEL"), branch: branch.branch,
      destination: branch.destination, request: bytes, owner: .cancel)
    transactions.register(record)
    transactions.start(record)
  }
}
