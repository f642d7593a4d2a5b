import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// Requests: a new server transaction, the initial INVITE (pipeline or router,
/// targets, failover, timer C), CANCEL, and requests inside a dialog (RFC 3261 §16).
extension ProxyCore {
  func receiveRequest(_ request: SIPMessage, from source: Endpoint, local: Endpoint) {
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
      if case .extension = method, request.requestURI?.user?.isEmpty == false {
        // §16: a proxy forwards a method it does not know like any other request.
        forwardInDialog(request, method: method, source: source, server: record)
      } else if case .extension = method {
        respondLocally(record, 501, "Not Implemented", extra: [("Allow", Self.allow)])
      } else if addressedToUs {
        respondLocally(record, 405, "Method Not Allowed", extra: [("Allow", Self.allow)])
      } else {
        // This switch relays calls, not out-of-dialog requests for other domains.
        respondLocally(record, 404, "Not Found")
      }
    }
  }

  func receiveInitialInvite(
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

  func tryNextTarget(_ context: InviteContext) {
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

  func receiveCancel(_ cancel: SIPMessage, via: Via, record: ServerTransactionRecord) {
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
  func forwardInDialog(
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
      guard let server else { return }
      // Out of dialog (an unknown method for a user here) there is no target: 404 (§16.5).
      if request.toTag == nil {
        respondLocally(server, 404, "Not Found")
      } else {
        respondLocally(server, 481, "Call/Transaction Does Not Exist")
      }
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
}
