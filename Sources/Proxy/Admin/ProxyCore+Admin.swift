import Billing
import Policy
import SIPCore

/// What the admin API reads and changes in the core (docs/admin.md), on
/// the core's loop: the calls in progress, hanging one up with the switch's
/// own BYE (`ended_by` admin), and the call events.
extension ProxyCore {
  /// Calls that may be shown at once (`GET /v1/calls?limit=`).
  public static let maxCallPage = 500

  /// The calls in progress matching `filter`, oldest first, `limit` from
  /// `offset` (limit clamped to 1...`maxCallPage`).
  public func activeCalls(_ filter: ActiveCallFilter, offset: Int, limit: Int) -> ActiveCallPage {
    let limit = min(max(limit, 1), Self.maxCallPage)
    let offset = max(offset, 0)
    var matching: [(summary: CallSummary, dialog: Dialog?, context: InviteContext?)] = []
    for dialog in dialogs.all {
      let call = view(dialog.summary, dialog: dialog)
      if call.matches(filter) { matching.append((dialog.summary, dialog, nil)) }
    }
    for context in settingUp() {
      let call = view(context.summary, dialog: nil)
      if call.matches(filter) { matching.append((context.summary, nil, context)) }
    }
    matching.sort {
      ($0.summary.startedUnixMs, $0.summary.recordID) < ($1.summary.startedUnixMs, $1.summary.recordID)
    }
    let page = matching.dropFirst(offset).prefix(limit).map { view($0.summary, dialog: $0.dialog) }
    return ActiveCallPage(calls: Array(page), total: matching.count, offset: offset, limit: limit)
  }

  /// The call in progress whose record uuid is `id`, if any.
  public func activeCall(id: String) -> ActiveCall? {
    if let dialog = dialog(recordID: id) { return view(dialog.summary, dialog: dialog) }
    return settingUp().first { $0.summary.recordID == id }.map { view($0.summary, dialog: nil) }
  }

  /// Ends the answered call `id` as the switch ends a call out of credit:
  /// BYE to both sides, its record says `ended_by` admin. A call not
  /// answered yet is cancelled.
  public func hangup(id: String) -> AdminHangup {
    guard let dialog = dialog(recordID: id) else {
      guard let context = settingUp().first(where: { $0.summary.recordID == id }) else { return .notFound }
      return cancel(context)
    }
    guard dialog.control != nil else { return .cannotEnd }
    tally.callsEndedByAdmin += 1
    endCallFromSwitch(dialog, endedBy: "admin", reason: "Administrative Hangup")
    return .ended
  }

  /// A call not answered yet ends as a caller's CANCEL ends it: CANCEL to
  /// the target now tried (once it has sent a provisional), no failover,
  /// 487 upstream when the target's final response comes (or Timer C).
  private func cancel(_ context: InviteContext) -> AdminHangup {
    guard !context.finalSent, !context.answerHeld, !context.cancelled else { return .notAnswered }
    context.cancelled = true
    context.summary.outcome = .cancelled
    context.summary.endedBy = "admin"
    tally.callsEndedByAdmin += 1
    if let branch = context.branch, !branch.receivedFinal { cancelBranch(branch) }
    return .cancelled
  }

  /// Sends `state` of a call to `callEvents`, if set. Inlined, and the
  /// summary an autoclosure: with no subscriber (nearly always) the call's
  /// summary is not even copied.
  @inline(__always)
  func emit(_ state: CallEvent.State, _ summary: @autoclosure () -> CallSummary) {
    guard let callEvents else { return }
    callEvents(CallEvent(state: state, unixMs: clock.unixMs, summary: summary()))
  }

  private func dialog(recordID: String) -> Dialog? {
    dialogs.all.first { $0.summary.recordID == recordID }
  }

  /// Initial INVITEs routed and not yet answered or over.
  private func settingUp() -> [InviteContext] {
    transactions.servers.values.compactMap { transaction in
      guard let context = Self.record(transaction).context, !context.finished,
        context.summary.outcome != .answered
      else { return nil }
      return context
    }
  }

  private func view(_ summary: CallSummary, dialog: Dialog?) -> ActiveCall {
    let state: CallEvent.State =
      dialog != nil ? .answered : summary.ringingUnixMs != nil ? .ringing : .initiating
    return ActiveCall(
      id: summary.recordID, callID: summary.callID, state: state, fromUser: summary.fromUser,
      toUser: summary.toUser, ingress: summary.ingress, egress: summary.egress, userID: summary.userID,
      source: summary.source.description, destination: summary.destination?.description,
      attempts: summary.attempts, startedUnixMs: summary.startedUnixMs, ringingUnixMs: summary.ringingUnixMs,
      answeredUnixMs: summary.answeredUnixMs, maxDurationMs: dialog?.maxDurationMs,
      sessionIntervalSeconds: dialog?.sessionInterval, paidMs: dialog?.paidMs,
      reserved: (credit?.reservations(call: summary.recordID) ?? []).map {
        ActiveCall.Reservation(account: $0.account, amount: $0.amount)
      })
  }
}
