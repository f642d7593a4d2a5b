import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// Answered calls: the dialog and its checkpoint, session timers, credit
/// steps, the switch's own BYE, codec answers, and the call's report.
extension ProxyCore {
  /// The first 2xx of a call: its dialog, its timers and its first credit step.
  @discardableResult
  func answered(_ context: InviteContext, _ response: SIPMessage, _ record: ClientTransactionRecord)
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

  func checkpoint(of dialog: Dialog) -> DialogCheckpoint {
    DialogCheckpoint(
      summary: dialog.summary, caller: dialog.caller, callee: dialog.callee, control: dialog.control,
      callerCSeq: dialog.callerCSeq, calleeCSeq: dialog.calleeCSeq, maxDurationMs: dialog.maxDurationMs,
      sessionInterval: dialog.sessionInterval,
      creditParties: credit?.parties(call: dialog.summary.recordID) ?? [])
  }

  /// A 2xx to a re-INVITE or UPDATE refreshed the session (RFC 4028 §10).
  func sessionRefreshed(_ dialog: Dialog, response: SIPMessage?) {
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
  func scheduleCreditCheck(_ dialog: Dialog) {
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
  func creditStep(_ dialog: Dialog, cutting: Bool) {
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

  func sendBye(_ side: DialogSide, cseq: UInt32, callID: String, to peer: Endpoint, reason: String) {
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

  func cancelDialogTimers(_ dialog: Dialog) {
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
  func earlyMediaPolicy(
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
  func filterAnswerCodecs(
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

  func endDialog(_ dialog: Dialog, then answer: @escaping () -> Void) {
    guard dialogs.removeValue(forKey: dialog.key) != nil else { return answer() }
    cancelDialogTimers(dialog)
    liveCalls.remove(dialog.callNumber)
    counters.callsEnded += 1
    report(dialog.summary, then: answer)
  }

  /// Logs the call's outcome and hands it to the journal; `answer` (the
  /// BYE's final response) runs when the handler releases it.
  func report(_ summary: CallSummary, then answer: (() -> Void)?) {
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
    guard let journal else {
      answer?()
      return
    }
    journal.ended(summary, release: answer)
  }

  /// Sends a downstream response upstream through the server transaction,
  /// with this switch's Via removed (§16.7 step 9).
  func relay(
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
  func timerCFired(_ record: ClientTransactionRecord) {
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
}
