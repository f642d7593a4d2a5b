import Logging
import SIPCore
import SIPTransaction

/// Responses from a branch (RFC 3261 §16.7), as its client transaction
/// passes them up: to the INVITE's context (`Invite/`), relayed upstream,
/// or absorbed; strays dropped.
extension ProxyCore {
  /// A response that matches no client transaction. RFC 3261 §16.7 / §18.1.2:
  /// dropped. Where it goes is never read from the message: the one kind a
  /// dialog still wants is a 2xx to an INVITE of ours retransmitted after
  /// its client transaction ended (Timer M, RFC 6026 §8.4); it goes to the
  /// dialog's peer that sent the INVITE (the caller for the initial one).
  func receiveStrayResponse(_ response: SIPMessage, branch: String, method: String) {
    if method == "INVITE", (200..<300).contains(response.statusCode), branches.isOurs(branch),
      let dialog = dialogs.find(response)
    {
      response.removeTopVia()
      tally.statelessForwards += 1
      sender.send(
        .message(response), to: response.fromTag == dialog.callerTag ? dialog.caller : dialog.callee)
      return
    }
    tally.strayResponses += 1
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
    // A branch the core gave up (timer C, a fork that ended, another branch's
    // answer) has had its final: the 487 or error it sends now goes nowhere.
    if status >= 300, record.receivedFinal, case .invite = record.owner {
      tally.retransmissionsAbsorbed += 1
      return
    }
    if status >= 200 {
      record.receivedFinal = true
      // A 2xx ends retransmissions and CANCEL for good (Accepted state).
      if status < 300 { record.request = [] }
    }
    switch record.owner {
    case .cancel, .local:
      return
    case .probe(let interconnectID):
      probeAnswered(record, interconnectID: interconnectID, status: status, fromWire: response != nil)
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
}
