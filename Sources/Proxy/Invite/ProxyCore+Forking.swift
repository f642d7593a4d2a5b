import Logging
import SIPCore
import SIPTransaction

/// Parallel forking (RFC 3261 §16.6-16.7, `Forking.parallel`): a registered
/// user's phones ring together. The targets form groups of equal q (best
/// first); a group's branches start at once and the next group starts only
/// when every branch of this one has failed. The first 2xx wins and every
/// other branch is cancelled; a later 2xx of another branch is ACKed and
/// BYEd by the switch; a 6xx stops the search; else the best response
/// (§16.7 step 6). One no-answer timeout bounds the whole fork, and once the
/// caller has its final response no branch starts. A fork that ends with
/// no answer asks the router's `UnansweredHook` what comes next.
extension ProxyCore {
  /// The fork's no-answer timeout, then its first group.
  func startFork(_ context: InviteContext) {
    let fork = context.fork ?? ForkState()
    context.fork = fork
    if let timer = fork.noAnswerTimer { timers.cancel(timer) }
    fork.noAnswerTimer = schedule(
      .noAnswer(context), afterMs: context.call.noAnswerTimeoutMs ?? configuration.inviteTimeoutMs)
    advanceFork(context)
  }

  /// Starts the next group with a branch left pending, else ends the fork.
  private func advanceFork(_ context: InviteContext) {
    while !context.cancelled, !context.finalSent, !context.answerHeld, context.winner == nil,
      context.nextTarget < context.targets.count
    {
      if startGroup(context) { return }
    }
    endFork(context, outcome: nil)
  }

  /// Every target of the next q group at once (§16.6: equal q, in parallel).
  /// Whether a branch of it is pending. A branch that fails while the group
  /// starts (a transport error) is counted, and the group judged after.
  private func startGroup(_ context: InviteContext) -> Bool {
    guard let fork = context.fork else { return false }
    let q = context.targets[context.nextTarget].qThousandths ?? 1000
    fork.starting = true
    while context.nextTarget < context.targets.count,
      (context.targets[context.nextTarget].qThousandths ?? 1000) == q
    {
      let before = context.nextTarget
      tryNextTarget(context)
      if context.nextTarget == before { break }
    }
    fork.starting = false
    return fork.hasPendingBranch
  }

  /// A branch's final non-2xx (or its timeout): a 6xx ends the search; when
  /// the group has no branch left, the next group, else the fork's end.
  func forkBranchFailed(
    _ context: InviteContext, _ record: ClientTransactionRecord, status: Int, response: SIPMessage?
  ) {
    context.summary.supplierStatus = status
    context.consider(status: status, response: response)
    guard let fork = context.fork else { return }
    if status != 486, status != 600 { fork.notBusy = true }
    if status >= 600 {
      // §16.7 step 6: a 6xx cancels every pending branch and goes upstream.
      abandonBranches(context, except: nil)
      context.nextTarget = context.targets.count
      endFork(context, outcome: status == 600 ? .busy : .declined(status: status))
      return
    }
    guard !fork.starting, !fork.hasPendingBranch else { return }
    advanceFork(context)
  }

  /// The fork's no-answer timeout: every pending branch is cancelled, the
  /// fork counts a 408, and nothing more starts.
  func forkNoAnswer(_ context: InviteContext) {
    guard !context.finalSent, !context.answerHeld, context.winner == nil else { return }
    abandonBranches(context, except: nil)
    context.nextTarget = context.targets.count
    context.consider(status: 408, response: nil)
    endFork(context, outcome: .noAnswer)
  }

  /// Cancels every branch still pending but `except` (§16.7 step 10, §9.1:
  /// once it has had a provisional) and counts it as ended: its 487 goes
  /// nowhere, its 2xx is ACKed and BYEd.
  func abandonBranches(_ context: InviteContext, except: ClientTransactionRecord?) {
    for branch in context.fork?.branches ?? [] where branch !== except && !branch.receivedFinal {
      branch.receivedFinal = true
      cancelBranch(branch)
    }
  }

  /// The call's answer: the fork's timeout stops and every other pending
  /// branch is cancelled (a sequential call's, a crossed CANCEL's, too).
  func cancelOtherBranches(_ context: InviteContext, answered: ClientTransactionRecord) {
    let latest = context.branch
    if latest !== answered {
      // Not the branch started last: the summary names the one that
      // answered, and the one started last (a sequential call's) is cancelled.
      context.summary.destination = answered.destination
      context.summary.egress = answered.target?.egress
      if let latest, !latest.receivedFinal {
        latest.receivedFinal = true
        cancelBranch(latest)
      }
    }
    guard context.fork != nil else { return }
    stopNoAnswerTimer(context)
    abandonBranches(context, except: answered)
  }

  func stopNoAnswerTimer(_ context: InviteContext) {
    guard let fork = context.fork, let timer = fork.noAnswerTimer else { return }
    timers.cancel(timer)
    fork.noAnswerTimer = nil
  }

  /// The fork ended with no answer: the router's hook may route the call
  /// on or answer it; else the best response goes upstream. `outcome` nil:
  /// read it from the branches' answers.
  func endFork(_ context: InviteContext, outcome: ForkOutcome?) {
    stopNoAnswerTimer(context)
    guard !context.finalSent, !context.answerHeld, context.winner == nil else { return }
    let best = context.best ?? (480, nil)
    if !context.cancelled, let hook = context.call.whenUnanswered {
      let outcome =
        outcome
        ?? (context.fork?.notBusy != false || context.best == nil ? .unavailable(status: best.status) : .busy)
      switch hook.next(outcome) {
      case nil:
        break
      case .refuse(let refusal)?:
        context.summary.finalStatus = refusal.status
        finishUnanswered(context)
        respondLocally(
          context.server, refusal.status, refusal.reason, extra: refusal.headers.map { ($0.name, $0.value) })
        return
      case .route(let next)?:
        if routeOn(context, next) { return }
      }
    }
    sendBestResponse(context, latest: best)
  }

  /// An `UnansweredHook`'s `.route`: the call goes on to `next`'s targets.
  private func routeOn(_ context: InviteContext, _ next: RoutedCall) -> Bool {
    guard !next.targets.isEmpty, let request = context.request else { return false }
    var call = context.call
    call.targets = next.targets
    call.forking = next.forking
    call.extraFailoverStatuses = next.extraFailoverStatuses
    call.whenUnanswered = next.whenUnanswered
    call.noAnswerTimeoutMs = next.noAnswerTimeoutMs
    call.policy.sessionTimer = call.policy.sessionTimer || next.policy.sessionTimer
    routeOnToForwardedLeg(context, next, &call)
    context.call = call
    context.nextTarget = 0
    context.baseRequest = nil
    context.fork?.notBusy = false
    // The last branch's Via leaves with it; the next branch adds its own.
    request.removeTopVia()
    if call.targets.count > 1, call.targets.contains(where: { !$0.edits.isEmpty }) {
      // Each failover starts from the same message (as `receiveInitialInvite`).
      let base = request.serialized()
      if SIPMessageLimits().admits(base) { context.baseRequest = base }
    }
    if call.forking == .parallel {
      startFork(context)
    } else {
      tryNextTarget(context)
    }
    return true
  }

  /// A 2xx from a branch that is not the call's answer (another answered
  /// first, or the caller already had its final response): the switch
  /// ACKs it (every copy, so its retransmissions stop) and ends it with a
  /// BYE, once (§16.7 step 5 / RFC 6026; Reason per RFC 3326).
  func endLateAnswer(_ context: InviteContext, _ record: ClientTransactionRecord, _ response: SIPMessage) {
    guard let callID = response.callID, let cseq = response.cseq?.number, let from = response.fromHeaderValue,
      let to = response.toHeaderValue, let contact = response.remoteTargetText
    else {
      tally.strayResponses += 1
      return
    }
    let routes = response.recordRouteValues
    let downstream = Array(routes.prefix(max(0, routes.count - context.recordRoutesSent)))
    let ack = SIPDialogRequestBuilder.request(
      method: "ACK", requestURI: contact, routeSet: downstream,
      via: via(for: record.destination, branch: branches.next(loopHash: 0)), from: from, to: to,
      callID: callID, cseq: cseq, maxForwards: configuration.defaultMaxForwards)
    sender.send(.bytes(ack), to: record.destination)
    guard !record.lateAnswerEnded else { return }
    record.lateAnswerEnded = true
    tally.lateAnswersEnded += 1
    logger.info(
      "late answer of a branch ended with ACK and BYE",
      metadata: [
        "call_id": "\(LogText.escaped(callID))", "destination": "\(record.destination)",
      ])
    sendBye(
      DialogSide(requestURI: contact, routeSet: downstream, from: from, to: to), cseq: cseq &+ 1,
      callID: callID, to: record.destination, reason: "SIP;cause=200;text=\"Call completed elsewhere\"")
  }
}
