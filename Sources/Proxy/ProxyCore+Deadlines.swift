import Logging
import SIPCore
import SIPTransaction

/// What the core does when a backstop passes. The transaction layer keeps
/// the deadlines of every transaction (`TransactionLayer+Deadlines`: when,
/// and the terminations); the core gives up a client transaction that
/// never got its final response and answers a server transaction that
/// never sent one: 408, or 500 when its answer waits for a record or
/// checkpoint that never became durable.
///
/// A dialog that neither a maximum duration nor a session timer (RFC 4028)
/// bounds ends `maxDialogLifetimeMs` after its answer, as when the switch ends
/// a call (BYE both ways when it can, its record either way).
extension ProxyCore {
  // MARK: Transactions

  /// A client transaction's deadline passed without a final response.
  func clientDeadlinePassed(_ record: ClientTransactionRecord) {
    logger.debug(
      "client transaction deadline passed without a final response",
      metadata: ["branch": "\(record.branch)", "destination": "\(record.destination)"])
    giveUp(record)
  }

  /// A client transaction is given up as timed out: a ringing INVITE is
  /// cancelled (§9.1), the transaction ends, and its user gets a 408 unless
  /// it already had a final (Timer C may have said 408 first).
  private func giveUp(_ record: ClientTransactionRecord) {
    if record.isInvite, record.receivedProvisional, !record.cancelSent, !record.request.isEmpty {
      cancelBranch(record)
    }
    transactions.terminate(record)
    if !record.receivedFinal { responseFromBranch(record, status: 408, response: nil) }
  }

  /// A server transaction's deadline passed without a final response: the
  /// final response it gets now.
  func serverDeadlinePassed(_ record: ServerTransactionRecord) {
    logger.debug(
      "server transaction deadline passed without a final response",
      metadata: ["source": "\(record.source)", "invite": "\(record.isInvite)"])
    guard let context = record.context else {
      // A forwarded request whose final came back is held for its call record.
      let held = record.forwarded?.receivedFinal == true
      respondLocally(record, held ? 500 : 408, held ? "Server Internal Error" : "Request Timeout")
      return
    }
    if context.answerHeld {
      // The 2xx waits for a checkpoint that never became durable: the caller
      // gets 500 and the call, already up downstream, is ended with its record.
      respondLocally(record, 500, "Server Internal Error")
      let summary = context.summary
      if let toTag = summary.toTag,
        let dialog = dialogs[DialogKey(callID: summary.callID, tagA: summary.fromTag, tagB: toTag)]
      {
        endCallFromSwitch(dialog, endedBy: "not_durable", reason: "Server Internal Error")
      }
      return
    }
    // The branch never settled: given up as at Timer C, with no failover.
    context.nextTarget = context.targets.count
    stopNoAnswerTimer(context)
    abandonBranches(context, except: nil)
    if let branch = context.branch, !branch.isTerminated, !branch.receivedFinal { giveUp(branch) }
    if !record.hasFinalResponse {
      context.summary.finalStatus = 408
      finishUnanswered(context)
      respondLocally(record, 408, "Request Timeout")
    }
  }

  // MARK: Dialogs

  /// Bounds a dialog that nothing else bounds: `maxDialogLifetimeMs` from
  /// its answer (`elapsedMs` ago).
  func scheduleLifetime(_ dialog: Dialog, elapsedMs: Int64 = 0) {
    guard dialog.maxDurationMs == nil, dialog.sessionInterval == nil else { return }
    dialog.lifetimeTimer = schedule(
      .dialogLifetime(dialog), afterMs: max(0, configuration.maxDialogLifetimeMs - elapsedMs))
  }

  func lifetimeEnded(_ dialog: Dialog) {
    tally.dialogsExpired += 1
    endCallFromSwitch(dialog, endedBy: "max_lifetime", reason: "Maximum Dialog Lifetime")
  }

  // MARK: Tables

  /// A Swift dictionary keeps the capacity of its largest size: after a
  /// flood the transaction and dialog tables would hold their peak's memory
  /// for good. Every 10 s a table mostly empty is copied into a small one.
  func compactTablesIfDue() {
    let now = clock.monotonicMs
    guard now >= nextCompactionMs else { return }
    nextCompactionMs = now + 10_000
    transactions.compact()
    dialogs.compact()
    liveCalls.compact()
  }
}
