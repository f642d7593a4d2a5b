import Logging
import SIPCore
import SIPTransaction

/// The backstops that end every transaction and every dialog, whatever the
/// peers and the transaction user do (a UAS that rings and never answers a
/// CANCEL, a response that cannot be built, a durability wait that never
/// releases). The RFC 3261 §17 timers end a transaction in the normal course;
/// each deadline here is set past them, so it only acts when they did not.
///
/// With C the no-answer timeout (`inviteTimeoutMs`, Timer C of §16.6) and
/// T1, T4 from `configuration.timers`:
/// - a client transaction that has no final response C + 64*T1 + T4 (INVITE)
///   or 64*T1 + T4 (non-INVITE) after it started is given up: a CANCEL if it
///   rang (§9.1), 408 to its transaction user, terminated;
/// - a server transaction that has sent no final response T4 after that
///   (from its last branch, for an initial INVITE) answers 408, or 500 when
///   its answer waits for a record or checkpoint that never became durable;
/// - either is terminated 64*T1 + T4 after that first deadline at the latest
///   (Timers D, H, I, J, K, L and M are all at most 64*T1).
///
/// A dialog that neither a maximum duration nor a session timer (RFC 4028)
/// bounds ends `maxDialogLifetimeMs` after its answer, as when the switch ends
/// a call (BYE both ways when it can, its record either way).
extension ProxyCore {
  /// 64*T1: Timers B, F, H, J, L and M (RFC 3261 Table 4, RFC 6026).
  private var transactionSpanMs: Int64 { 64 * configuration.timers.t1 }

  private func firstDeadlineMs(invite: Bool, server: Bool) -> Int64 {
    (invite ? configuration.inviteTimeoutMs : 0) + transactionSpanMs + configuration.timers.t4
      * (server ? 2 : 1)
  }

  private var finalDeadlineMs: Int64 { transactionSpanMs + configuration.timers.t4 }

  // MARK: Client transactions

  /// Enters a client transaction in the table with its deadline.
  func register(_ record: ClientTransactionRecord) {
    clients[record.key] = record
    record.deadline = schedule(
      .clientDeadline(record), afterMs: firstDeadlineMs(invite: record.isInvite, server: false))
  }

  func deadlinePassed(_ record: ClientTransactionRecord) {
    if !record.deadlinePassed, record.awaitsFinalResponse {
      record.deadlinePassed = true
      record.expired = true
      counters.transactionsExpired += 1
      logger.debug(
        "client transaction deadline passed without a final response",
        metadata: ["branch": "\(record.branch)", "destination": "\(record.destination)"])
      giveUp(record)
      return
    }
    guard record.deadlinePassed else {
      record.deadlinePassed = true
      record.deadline = schedule(.clientDeadline(record), afterMs: finalDeadlineMs)
      return
    }
    if !record.expired {
      record.expired = true
      counters.transactionsExpired += 1
    }
    terminate(record)
  }

  /// A client transaction is given up as timed out: a ringing INVITE is
  /// cancelled (§9.1), the transaction ends, and its user gets a 408 unless
  /// it already had a final (Timer C may have said 408 first).
  private func giveUp(_ record: ClientTransactionRecord) {
    if record.isInvite, record.receivedProvisional, !record.cancelSent, !record.request.isEmpty {
      cancelBranch(record)
    }
    terminate(record)
    if !record.receivedFinal { responseFromBranch(record, status: 408, response: nil) }
  }

  // MARK: Server transactions

  /// Sets a new server transaction's deadline.
  func startDeadline(_ record: ServerTransactionRecord) {
    record.deadline = schedule(
      .serverDeadline(record), afterMs: firstDeadlineMs(invite: record.isInvite, server: true))
  }

  /// An initial INVITE tries another target: its deadline starts again.
  func restartDeadline(_ record: ServerTransactionRecord) {
    guard !record.isTerminated, !record.hasFinalResponse else { return }
    if let deadline = record.deadline { timerWheel.cancel(deadline) }
    record.deadlinePassed = false
    startDeadline(record)
  }

  func deadlinePassed(_ record: ServerTransactionRecord) {
    if record.deadlinePassed {
      if !record.expired {
        record.expired = true
        counters.transactionsExpired += 1
      }
      terminate(record)
      return
    }
    record.deadlinePassed = true
    if !record.hasFinalResponse {
      record.expired = true
      counters.transactionsExpired += 1
      logger.debug(
        "server transaction deadline passed without a final response",
        metadata: ["source": "\(record.source)", "invite": "\(record.isInvite)"])
      answerAtDeadline(record)
    }
    guard !record.isTerminated else { return }
    guard record.hasFinalResponse else {
      // No response could be built: nothing is left to wait for.
      terminate(record)
      return
    }
    record.deadline = schedule(.serverDeadline(record), afterMs: finalDeadlineMs)
  }

  /// The final response a server transaction gets when its deadline passes.
  private func answerAtDeadline(_ record: ServerTransactionRecord) {
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
    counters.dialogsExpired += 1
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
    servers.shrinkIfSparse()
    clients.shrinkIfSparse()
    dialogs.shrinkIfSparse()
    liveCalls.compact()
  }
}
