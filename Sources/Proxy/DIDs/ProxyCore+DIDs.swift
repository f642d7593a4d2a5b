import Billing
import Policy
import SIPCore

/// The proxy core's part in calls to DIDs (docs/dids.md): the owner's
/// devices as targets (forked in parallel), the forwarded leg a rule adds
/// when the fork ends unanswered (through its `UnansweredHook`) or at once,
/// and its own call record and charges.
extension ProxyCore {
  /// A user's registered devices (the bindings of its devices' addresses of
  /// record at every registrar domain), best q first across all of them
  /// (equal q keep their order), as targets with their q for a parallel
  /// fork (docs/softphones.md "Forking").
  func deviceTargets(ofUser userID: String) -> [RouteTarget] {
    guard let registrar, let directory = router.retail else { return [] }
    let domains = registrar.configuration.domains.sorted()
    let now = clock.monotonicMs
    let bindings = directory.usernames(ofUser: userID).flatMap { name in
      domains.flatMap { registrar.lookup("sip:\(name)@\($0)", nowMs: now) }
    }
    return bindings.enumerated().sorted { a, b in
      let qa = a.element.qThousandths ?? 1000
      let qb = b.element.qThousandths ?? 1000
      return qa != qb ? qa > qb : a.offset < b.offset
    }.map {
      RouteTarget(
        destination: $0.element.source, requestURI: $0.element.contact,
        qThousandths: $0.element.qThousandths ?? 1000)
    }
  }

  /// What a call to a DID needs in its route context (`deviceTargets`,
  /// `startForwardedLeg`), made once when the core is: every call's
  /// context takes these two (no closure allocated per call).
  func makeDIDHooks() {
    deviceTargetsHook = { [unowned self] in deviceTargets(ofUser: $0) }
    forwardedLegStarter = { [unowned self] in (recordIDs.next(), clock.monotonicMs, clock.unixMs) }
  }

  /// The call record's facts of a call to a DID, once it is started.
  @inline(__always)
  func noteInbound(_ call: RoutedCall, in summary: inout CallSummary) {
    guard let inbound = call.inbound else { return }
    summary.userID = inbound.userID
    summary.phoneNumberID = inbound.phoneNumberID
    // One box for the DID's fields (not one per field). A leg known from
    // the start (a forward at once) is all the call tries.
    summary.didFields = Boxed(
      CallSummary.DIDFields(
        direction: .inbound, parentCallUUID: summary.parentCallUUID, forwardedLeg: inbound.forwardedLeg,
        forwardedLegTried: inbound.forwardedLeg != nil))
  }

  /// An `UnansweredHook`'s forwarded leg (the owner's rule after the
  /// devices' fork ended unanswered): the call's record and credit carry
  /// it from now on, and what the devices answered is not the call's
  /// answer any more (the leg's best response is).
  func routeOnToForwardedLeg(_ context: InviteContext, _ next: RoutedCall, _ call: inout RoutedCall) {
    guard let leg = next.inbound?.forwardedLeg else { return }
    call.inbound?.forwardedLeg = leg
    context.summary.forwardedLeg = leg
    context.summary.forwardedLegTried = true
    context.forgetBest()
  }

  /// The forwarded leg's row, when one of its targets was tried: its
  /// charges (the owner's wallet, the supplier) from its own reservation;
  /// the inbound row keeps the carrier's side only. An untried leg's
  /// reservation is released.
  func splitForwardedLeg(_ summary: inout CallSummary) -> CallSummary? {
    guard let forwarded = summary.forwardedLeg else { return nil }
    let answered = summary.outcome == .answered
    monthlyCalls.end(call: forwarded.recordID, answered: answered && summary.forwardedLegTried)
    let charges =
      credit?.end(
        call: forwarded.recordID,
        durationMs: answered && summary.forwardedLegTried ? summary.answeredDurationMs : nil,
        nowUnixMs: clock.unixMs) ?? []
    guard let (inbound, leg) = summary.forwardedLegs(legCharges: charges) else { return nil }
    summary = inbound
    return leg
  }

  /// The credit of an answered call: the inbound leg's payer and, once the
  /// call went to its forwarded leg, the owner's wallet too; the call is
  /// paid as far as the shorter of the two (nil: neither limits it).
  func answeredCredit(_ credit: CreditLedger, _ summary: CallSummary, supplier: CreditParty?) -> CreditGrant {
    guard let leg = summary.forwardedLeg, summary.forwardedLegTried else {
      return credit.answered(call: summary.recordID, customer: summary.rating.customer, supplier: supplier)
    }
    // The supplier is the forwarded leg's (docs/dids.md).
    return shorter(
      credit.answered(call: summary.recordID, customer: summary.rating.customer, supplier: nil),
      credit.answered(call: leg.recordID, customer: leg.customerQuote, supplier: supplier))
  }

  /// The owner's price of an answered forwarded leg, as in force at the
  /// answer (docs/rating.md "Priced at the answer"), like any call's.
  func priceForwardedLegAtAnswer(_ summary: inout CallSummary, unixMs: Int64) {
    guard summary.forwardedLegTried, let leg = summary.forwardedLeg else { return }
    summary.forwardedLeg?.customerQuote = priceAtAnswer(
      leg.customerQuote, number: leg.calledNumber, unixMs: unixMs)
  }

  /// The next credit step of an answered call, on both legs when forwarded.
  func extendedCredit(_ credit: CreditLedger, _ summary: CallSummary) -> CreditGrant {
    let inbound = credit.extend(call: summary.recordID)
    guard let leg = summary.forwardedLeg, summary.forwardedLegTried else { return inbound }
    return shorter(inbound, credit.extend(call: leg.recordID))
  }

  /// The credit of a call restored from its checkpoint (`restore`): its
  /// own parties and, when it went to its forwarded leg, the leg's on the
  /// leg's record id (the owner's wallet, the supplier), so its steps and
  /// cut-off go on and its end charges the wallet once, in the leg's row.
  func restoredCredit(_ credit: CreditLedger, _ checkpoint: DialogCheckpoint, elapsedMs: Int64) -> CreditGrant
  {
    let summary = checkpoint.summary
    let inbound = credit.restore(
      call: summary.recordID, parties: checkpoint.creditParties, elapsedMs: elapsedMs)
    guard let leg = summary.forwardedLeg, summary.forwardedLegTried else { return inbound }
    return shorter(
      inbound,
      credit.restore(call: leg.recordID, parties: checkpoint.forwardedLegParties, elapsedMs: elapsedMs))
  }

  /// A restored call to a DID: its tried forwarded leg holds its place in
  /// the owner's month's count, as when it was admitted (migration 0020).
  func restoreForwardedLegCount(_ summary: CallSummary) {
    guard let leg = summary.forwardedLeg, summary.forwardedLegTried else { return }
    _ = monthlyCalls.admit(
      call: leg.recordID, userID: leg.userID, limit: nil, unixMs: summary.startedUnixMs, force: true)
  }

  private func shorter(_ a: CreditGrant, _ b: CreditGrant) -> CreditGrant {
    guard let x = a.paidSeconds else { return b }
    guard let y = b.paidSeconds else { return a }
    return x <= y ? a : b
  }
}
