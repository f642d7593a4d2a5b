import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// Answered calls (RFC 3261 §12, §16.12): the dialog a 2xx creates and its
/// checkpoint, requests inside it (loose routing, or the dialog's peers),
/// the end by BYE (its 200 waits for the record, `CallJournal.ended`), the
/// switch's own BYE to both sides, shutdown, and restore after a restart.
/// The calls' timers: `ProxyCore+CallTimers`.
extension ProxyCore {
  /// The first 2xx of a call: its dialog, its timers and its first credit step.
  @discardableResult
  func answered(_ context: InviteContext, _ response: SIPMessage, _ record: ClientTransactionRecord)
    -> Dialog?
  {
    let forwarded = context.request
    context.request = nil
    context.baseRequest = nil
    tally.callsAnswered += 1
    // The context's summary is changed in place (not copied out and back):
    // the dialog takes the one copy.
    let answeredUnixMs = clock.unixMs
    context.summary.answeredUnixMs = answeredUnixMs
    context.summary.answeredMonotonicMs = clock.monotonicMs
    // Both prices as in force at the answer, the supplier's of the target that answered.
    let toUser = context.summary.toUser
    context.summary.rating = CallRating(
      customer: priceAtAnswer(context.summary.rating.customer, number: toUser, unixMs: answeredUnixMs),
      supplier: priceAtAnswer(
        record.target?.supplierQuote,
        number: context.summary.forwardedLegTried ? context.summary.forwardedLeg?.calledNumber : toUser,
        unixMs: answeredUnixMs))
    priceForwardedLegAtAnswer(&context.summary, unixMs: answeredUnixMs)
    context.summary.finalStatus = response.statusCode
    context.summary.outcome = .answered
    let toTag = response.toTag
    context.summary.toTag = toTag
    guard let calleeTag = toTag, let callID = response.callID else {
      liveCalls.remove(context.callNumber)
      _ = credit?.end(call: context.summary.recordID, durationMs: nil, nowUnixMs: clock.unixMs)
      monthlyCalls.end(call: context.summary.recordID, answered: false)
      return nil
    }
    let dialog = Dialog(
      callID: callID, callerTag: context.summary.fromTag, calleeTag: calleeTag,
      caller: context.server.responseDestination, callee: record.destination, summary: context.summary,
      callNumber: context.callNumber)
    dialog.callerCSeq = forwarded?.cseq?.number ?? 0
    dialogs.insert(dialog)
    emit(.answered, context.summary)
    // Live credit: the first step of every party, the supplier's from now.
    var grant: CreditGrant?
    if let credit {
      let supplier = context.summary.rating.supplier.flatMap { quote in
        record.target?.egress.map { CreditParty(account: AccountRef(.supplier, $0.carrierID), quote: quote) }
      }
      grant = answeredCredit(credit, context.summary, supplier: supplier)
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
    startCallTimers(dialog, policy: policy, target: record.target, grant: grant, response: response)
    return dialog
  }

  func checkpoint(of dialog: Dialog) -> DialogCheckpoint {
    var checkpoint = DialogCheckpoint(
      summary: dialog.summary, caller: dialog.caller, callee: dialog.callee, control: dialog.control,
      callerCSeq: dialog.callerCSeq, calleeCSeq: dialog.calleeCSeq, maxDurationMs: dialog.maxDurationMs,
      sessionInterval: dialog.sessionInterval,
      creditParties: credit?.parties(call: dialog.summary.recordID) ?? [])
    if let leg = dialog.summary.forwardedLeg, dialog.summary.forwardedLegTried {
      checkpoint.forwardedLegParties = credit?.parties(call: leg.recordID) ?? []
    }
    return checkpoint
  }

  /// In-dialog requests (To tag present) and ACKs for 2xx: loose routing by
  /// the Route set (§16.4, §16.12), else by the dialog's remembered peers.
  func forwardInDialog(
    _ request: SIPMessage, method: SIPMethod, source: Endpoint, server: ServerTransactionRecord?
  ) {
    // §16.4: remove the Route entries that name this switch (one or two, RFC 5658).
    while let route = request.topRoute, isLocal(route) { request.removeTopRoute() }
    let dialog = dialogs.find(request)
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
      tally.statelessForwards += 1
      sender.send(.message(request), to: destination)
      return
    }
    let branch = branches.next(loopHash: 0)
    request.prependVia(via(for: destination, branch: branch))
    let reliable = destination.transport.isReliable
    let isInvite = method == .invite
    let record = ClientTransactionRecord(
      machine: ClientTransactionMachine(invite: isInvite, reliable: reliable, timers: configuration.timers),
      key: .client(branch: branch, method: method.description), branch: branch, destination: destination,
      request: request.serialized(), owner: .relay(server))
    record.endsDialog = endsDialog
    if let dialog, dialog.sessionInterval != nil, method == .invite || method == .update {
      record.refreshesDialog = dialog.key
    }
    server.forwarded = record
    transactions.register(record)
    transactions.start(record)
  }

  /// The switch ends an answered call (maximum duration, dead session, no
  /// credit): BYE to both sides, and the call is over now, or at
  /// `endedAtMonotonicMs` when the switch's own deadline says when (a timer
  /// may fire a little late; the call is not billed for that).
  func endCallFromSwitch(
    _ dialog: Dialog, endedBy: String, reason: String, endedAtMonotonicMs: Int64? = nil
  ) {
    guard dialogs.remove(dialog) else { return }
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
    tally.callsEnded += 1
    report(dialog.summary, then: nil)
  }

  func sendBye(_ side: DialogSide, cseq: UInt32, callID: String, to peer: Endpoint, reason: String) {
    let branch = branches.next(loopHash: 0)
    let bytes = SIPDialogRequestBuilder.request(
      method: "BYE", requestURI: side.requestURI, routeSet: side.routeSet,
      via: via(for: peer, branch: branch),
      from: side.from, to: side.to, callID: callID, cseq: cseq, maxForwards: configuration.defaultMaxForwards,
      extraHeaders: [("Reason", reason)]
        + (configuration.serverHeader.isEmpty ? [] : [("User-Agent", configuration.serverHeader)]))
    let record = ClientTransactionRecord(
      machine: ClientTransactionMachine(
        invite: false, reliable: peer.transport.isReliable, timers: configuration.timers),
      key: .client(branch: branch, method: "BYE"), branch: branch, destination: peer, request: bytes,
      owner: .local)
    transactions.register(record)
    transactions.start(record)
  }

  func cancelDialogTimers(_ dialog: Dialog) {
    if let timer = dialog.limitTimer { timers.cancel(timer) }
    if let timer = dialog.sessionTimer { timers.cancel(timer) }
    if let timer = dialog.creditTimer { timers.cancel(timer) }
    if let timer = dialog.lifetimeTimer { timers.cancel(timer) }
    dialog.lifetimeTimer = nil
    dialog.limitTimer = nil
    dialog.sessionTimer = nil
    dialog.creditTimer = nil
  }

  func endDialog(_ dialog: Dialog, then answer: @escaping () -> Void) {
    guard dialogs.remove(dialog) else { return answer() }
    cancelDialogTimers(dialog)
    liveCalls.remove(dialog.callNumber)
    tally.callsEnded += 1
    report(dialog.summary, then: answer)
  }

  /// Logs the call's outcome and hands it to the journal; `answer` (the
  /// BYE's final response) runs when the handler releases it.
  func report(_ summary: CallSummary, then answer: (() -> Void)?) {
    // Most calls (proxy mode) have no forwarded leg and no credit: nothing
    // to change, so no copy of the summary.
    guard summary.forwardedLeg != nil || credit != nil else {
      quality.record(summary)
      monthlyCalls.end(call: summary.recordID, answered: summary.outcome == .answered)
      return reportEnded(summary, forwardedLeg: nil, then: answer)
    }
    var summary = summary
    let forwardedLeg = summary.forwardedLeg == nil ? nil : splitForwardedLeg(&summary)
    quality.record(summary)
    monthlyCalls.end(call: summary.recordID, answered: summary.outcome == .answered)
    if let credit {
      summary.charges = credit.end(
        call: summary.recordID, durationMs: summary.outcome == .answered ? summary.answeredDurationMs : nil,
        nowUnixMs: clock.unixMs)
    }
    reportEnded(summary, forwardedLeg: forwardedLeg, then: answer)
  }

  /// `report`'s end: the event, the log line and the journal.
  private func reportEnded(_ summary: CallSummary, forwardedLeg: CallSummary?, then answer: (() -> Void)?) {
    emit(.ended, summary)
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
    guard let journal else {
      answer?()
      return
    }
    if let forwardedLeg { journal.ended(forwardedLeg, release: nil) }
    journal.ended(summary, release: answer)
  }

  /// The shutdown deadline passed with calls still up: each is reported as
  /// ended now (`endedBy` "shutdown"), since the switch leaves their path.
  public func endAllDialogs() {
    for dialog in dialogs.removeAll() {
      cancelDialogTimers(dialog)
      liveCalls.remove(dialog.callNumber)
      if !dialog.byeSeen {
        dialog.summary.markEnded(unixMs: clock.unixMs, monotonicMs: clock.monotonicMs)
        dialog.summary.endedBy = "shutdown"
      }
      tally.callsEnded += 1
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
    dialogs.insert(dialog)
    liveCalls.add(dialog.callNumber, ingress: summary.ingress)
    liveCalls.setEgress(dialog.callNumber, summary.egress)
    if summary.direction == .inbound {
      restoreForwardedLegCount(summary)
    } else if let userID = summary.userID, summary.ingress != nil {
      // A user's call taken over holds its place in the month's count (docs/softphones.md).
      _ = monthlyCalls.admit(
        call: summary.recordID, userID: userID, limit: nil, unixMs: summary.startedUnixMs, force: true)
    }
    tally.callsRestored += 1
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
      let grant = restoredCredit(credit, checkpoint, elapsedMs: elapsedMs)
      if let paid = grant.paidSeconds {
        dialog.paidMs = paid * 1000
        dialog.creditShortage = grant.shortage
        scheduleCreditCheck(dialog)
      }
    }
    scheduleLifetime(dialog, elapsedMs: elapsedMs)
    return true
  }
}
