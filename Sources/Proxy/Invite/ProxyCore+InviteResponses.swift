import Logging
import Policy
import SIPCore
import SIPTransaction

/// The responses to a forwarded initial INVITE (RFC 3261 §16.7): provisionals
/// relayed under the call's early-media and codec policy, the 2xx held for
/// its checkpoint (`CallJournal.answered`) then relayed, failover on 408/5xx
/// and timeouts, and the best final response with the release-cause mapping.
extension ProxyCore {
  func inviteResponse(
    _ context: InviteContext, _ record: ClientTransactionRecord, status: Int, response: SIPMessage?
  ) {
    if status < 200 {
      inviteProvisional(context, record, status: status, response: response)
      return
    }
    if let timer = record.timerC {
      timers.cancel(timer)
      record.timerC = nil
    }
    if status < 300 {
      if let response { inviteAnswered(context, record, status: status, response: response) }
      return
    }
    guard !context.finalSent, !context.answerHeld else { return }
    if context.call.forking == .parallel {
      forkBranchFailed(context, record, status: status, response: response)
      return
    }
    inviteFailed(context, record, status: status, response: response)
  }

  private func inviteProvisional(
    _ context: InviteContext, _ record: ClientTransactionRecord, status: Int, response: SIPMessage?
  ) {
    // Any provisional, 100 included, allows a CANCEL (§9.1) and shows the target is alive.
    record.receivedProvisional = true
    if record.cancelPending { cancelBranch(record) }
    guard status > 100 else { return }
    // A branch given up (or cancelled by the fork) rings for nobody.
    if let response, !context.finalSent, !context.answerHeld, !record.receivedFinal {
      let relayed = earlyMediaPolicy(context, record, response, status: status)
      // `calls.ringing_at`: the first 18x the caller gets (docs/database.md).
      if context.summary.ringingUnixMs == nil, (180...189).contains(relayed) {
        context.summary.ringingUnixMs = clock.unixMs
        emit(.ringing, context.summary)
      }
      relay(response, status: relayed, to: context.server)
    }
  }

  /// A 2xx: the first creates the dialog and, with a journal, waits for the
  /// call's checkpoint to be durable before it goes upstream.
  private func inviteAnswered(
    _ context: InviteContext, _ record: ClientTransactionRecord, status: Int, response: SIPMessage
  ) {
    // A 2xx of a branch that is not the call's answer: ACK and BYE (§16.7 step 5).
    let winner = context.winner
    if let winner, winner !== record {
      endLateAnswer(context, record, response)
      return
    }
    // A retransmission of a 2xx held for its checkpoint: the held one goes first.
    if context.answerHeld {
      tally.retransmissionsAbsorbed += 1
      return
    }
    let finalSent = context.finalSent
    if winner == nil {
      // The caller already has its final response: this answer is too late.
      guard !finalSent else {
        endLateAnswer(context, record, response)
        return
      }
      context.winner = record
      // A sequential call answered by the branch it tried last has no other.
      if context.fork != nil || context.branch !== record { cancelOtherBranches(context, answered: record) }
    }
    // Every 2xx of the answer goes upstream, retransmissions too (§16.7 step 5, RFC 6026).
    if !finalSent {
      filterAnswerCodecs(record, response, provisional: false)
      if let dialog = answered(context, response, record), let journal {
        response.removeTopVia()
        context.answerHeld = true
        let server = context.server
        journal.answered(checkpoint(of: dialog)) { [unowned self] in
          context.answerHeld = false
          relay(response, status: status, alreadyStripped: true, to: server)
        }
        return
      }
    }
    response.removeTopVia()
    tally.statelessForwards += finalSent ? 1 : 0
    if finalSent {
      sender.send(.message(response), to: context.server.responseDestination)
    } else {
      relay(response, status: status, alreadyStripped: true, to: context.server)
    }
  }

  /// A final failure from a target (or its timeout): the next target, or
  /// the best response of all upstream (§16.7 step 6).
  private func inviteFailed(
    _ context: InviteContext, _ record: ClientTransactionRecord, status: Int, response: SIPMessage?
  ) {
    context.summary.supplierStatus = status
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
      quality.failedOver(record.target?.egress, status: context.summary.supplierStatus ?? status)
      tryNextTarget(context)
      return
    }
    sendBestResponse(context, latest: (status, response))
  }

  /// §16.7 step 6: the best of all the responses the targets gave goes upstream.
  func sendBestResponse(_ context: InviteContext, latest: (status: Int, response: SIPMessage?)) {
    var best = context.best ?? latest
    if context.cancelled { best = (487, nil) }
    // The customer's release-cause mapping; what it does not map follows
    // §16.7 step 6: a lone 503 goes upstream as 500 (503 means *this* element is busy).
    var final = (status: best.status, reason: String?.none)
    if !context.cancelled { final = context.call.policy.releaseCauses.map(best.status) }
    if final.status == best.status, best.status == 503 {
      best = (500, nil)
      final = (500, nil)
    }
    context.summary.finalStatus = final.status
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
      tally.answersWithoutAllowedCodec += 1
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
      tally.callsCancelled += 1
    } else {
      context.summary.outcome = .failed
      tally.callsFailed += 1
    }
    report(context.summary, then: nil)
  }

  /// Timer C, or a target silent past `failoverTimeoutMs`: the branch is
  /// given up (cancelled if it rang) and counts as a 408, which fails over.
  func timerCFired(_ record: ClientTransactionRecord) {
    guard case .invite(let context) = record.owner, !record.receivedFinal else { return }
    tally.transactionTimeouts += 1
    if record.receivedProvisional {
      cancelBranch(record)
    } else {
      transactions.terminate(record)
    }
    record.receivedFinal = true
    inviteResponse(context, record, status: 408, response: nil)
  }
}
