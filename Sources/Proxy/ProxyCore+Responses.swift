import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// Responses from a branch (RFC 3261 §16.7): matched to their client
/// transaction, best response and failover, relayed upstream; strays dropped.
extension ProxyCore {
  func receiveResponse(_ response: SIPMessage, from source: Endpoint) {
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
  func receiveStrayResponse(_ response: SIPMessage, branch: String, method: String) {
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
      counters.statelessForwards += context.finalSent ? 1 : 0
      if context.finalSent {
        sender.send(.message(response), to: context.server.responseDestination)
      } else {
        relay(response, status: status, alreadyStripped: true, to: context.server)
      }
      return
    }
    guard !context.finalSent, !context.answerHeld else { return }
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
}
