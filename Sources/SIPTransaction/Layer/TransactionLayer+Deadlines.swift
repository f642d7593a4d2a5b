/// The backstops that end every transaction, whatever the peers and the
/// transaction user do (a UAS that rings and never answers a CANCEL, a
/// response that cannot be built, a durability wait that never releases).
/// The RFC 3261 §17 timers end a transaction in the normal course; each
/// deadline here is set past them, so it only acts when they did not.
///
/// With C the TU's no-answer timeout (`inviteTimeoutMs`, a proxy's Timer C
/// of §16.6) and T1, T4 from `configuration.timers`:
/// - a client transaction that has no final response C + 64*T1 + T4 (INVITE)
///   or 64*T1 + T4 (non-INVITE) after it started is handed to the user to
///   give up (`TransactionUser.deadlinePassed`);
/// - a server transaction that has sent no final response T4 after that
///   (from the user's `restartDeadline`, e.g. its last branch) is handed to
///   the user to answer, and terminated if it still has no final response;
/// - either is terminated 64*T1 + T4 after that first deadline at the latest
///   (Timers D, H, I, J, K, L and M are all at most 64*T1).
extension TransactionLayer {
  /// 64*T1: Timers B, F, H, J, L and M (RFC 3261 Table 4, RFC 6026).
  private var transactionSpanMs: Int64 { 64 * configuration.timers.t1 }

  private func firstDeadlineMs(invite: Bool, server: Bool) -> Int64 {
    (invite ? configuration.inviteTimeoutMs : 0) + transactionSpanMs + configuration.timers.t4
      * (server ? 2 : 1)
  }

  private var finalDeadlineMs: Int64 { transactionSpanMs + configuration.timers.t4 }

  // MARK: Client transactions

  func startDeadline(_ record: ClientTransaction) {
    record.deadline = scheduler.schedule(
      .clientDeadline(record), afterMs: firstDeadlineMs(invite: record.isInvite, server: false))
  }

  func deadlinePassed(_ record: ClientTransaction) {
    if !record.deadlinePassed, record.awaitsFinalResponse {
      record.deadlinePassed = true
      record.expired = true
      counters.expired += 1
      user?.deadlinePassed(record)
      return
    }
    guard record.deadlinePassed else {
      record.deadlinePassed = true
      record.deadline = scheduler.schedule(.clientDeadline(record), afterMs: finalDeadlineMs)
      return
    }
    if !record.expired {
      record.expired = true
      counters.expired += 1
    }
    terminate(record)
  }

  // MARK: Server transactions

  func startDeadline(_ record: ServerTransaction) {
    record.deadline = scheduler.schedule(
      .serverDeadline(record), afterMs: firstDeadlineMs(invite: record.isInvite, server: true))
  }

  /// The transaction's user starts waiting anew (a proxy's INVITE tries
  /// another target): its deadline starts again.
  public func restartDeadline(_ record: ServerTransaction) {
    guard !record.isTerminated, !record.hasFinalResponse else { return }
    if let deadline = record.deadline { scheduler.cancel(deadline) }
    record.deadlinePassed = false
    startDeadline(record)
  }

  func deadlinePassed(_ record: ServerTransaction) {
    if record.deadlinePassed {
      if !record.expired {
        record.expired = true
        counters.expired += 1
      }
      terminate(record)
      return
    }
    record.deadlinePassed = true
    if !record.hasFinalResponse {
      record.expired = true
      counters.expired += 1
      user?.deadlinePassed(record)
    }
    guard !record.isTerminated else { return }
    guard record.hasFinalResponse else {
      // No response could be built: nothing is left to wait for.
      terminate(record)
      return
    }
    record.deadline = scheduler.schedule(.serverDeadline(record), afterMs: finalDeadlineMs)
  }
}
