import Billing
import Policy
import SIPCore
import SIPTransaction

/// The timers of an answered call: its maximum duration, its session timer
/// (RFC 4028) and refreshes, its credit steps and the cut-off when the paid
/// time runs out (`CreditLedger`), and the lifetime backstop of a dialog
/// nothing else bounds (ProxyCore+Deadlines).
extension ProxyCore {
  /// The timers an answer starts: the tighter of both sides' maximum
  /// durations, the first credit step, the session timer, else the lifetime.
  func startCallTimers(
    _ dialog: Dialog, policy: CallPolicy, target: RouteTarget?, grant: CreditGrant?, response: SIPMessage
  ) {
    let limits = [policy.maxDurationMs, target?.policy.maxDurationMs].compactMap { $0 }
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
  }

  /// A 2xx to a re-INVITE or UPDATE refreshed the session (RFC 4028 §10).
  func sessionRefreshed(_ dialog: Dialog, response: SIPMessage?) {
    guard let current = dialog.sessionInterval else { return }
    let interval =
      SessionTimerPolicy.negotiatedInterval(
        responseSessionExpires: response?.headerValues("session-expires").first) ?? current
    dialog.sessionInterval = interval
    if let timer = dialog.sessionTimer { timers.cancel(timer) }
    dialog.sessionTimer = schedule(
      .sessionExpiry(dialog), afterMs: SessionTimerPolicy.deadlineMs(interval: interval))
  }

  /// The next credit step is reserved `extendLeadMs` before the paid time runs out.
  func scheduleCreditCheck(_ dialog: Dialog) {
    guard let credit, let paidMs = dialog.paidMs, let answered = dialog.summary.answeredMonotonicMs else {
      return
    }
    if let timer = dialog.creditTimer { timers.cancel(timer) }
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
    let grant = extendedCredit(credit, dialog.summary)
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
    tally.callsEndedByCredit += 1
    let reason = dialog.creditShortage == .spendLimit ? "24 Hour Spend Limit Reached" : "Credit Exhausted"
    endCallFromSwitch(dialog, endedBy: "credit", reason: reason, endedAtMonotonicMs: endAt)
  }
}
