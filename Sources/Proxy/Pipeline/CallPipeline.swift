import Billing
import Policy
import Routing
import SIPCore

/// Softswitch mode: decides an initial INVITE against the reference-data
/// snapshot, in the order of ARCHITECTURE.md's call pipeline. Each step
/// either passes the call on or throws the `Refusal` of the rule that
/// fired: a SIP status and a reason phrase naming the rule (the proxy core
/// logs it with the source). `Refusal+Pipeline.swift` lists them all.
///
/// 1. identify the ingress interconnect (source address, port, transport,
///    tech prefix; `IngressIdentifier`), which strips the tech prefix;
/// 2. its validation settings (From / Contact patterns, trunk group, test
///    calls);
/// 3. CPS limits of the interconnect and the ingress service, then capacity
///    limits of the carrier, interconnect and service (`CallLimits`);
/// 4. signalling settings on the offer: 100rel, session timer;
/// 5. translation: caller picked and checked, global + origin rules on it,
///    global + destination rules on the called number;
/// 6. codec policy on the SDP offer;
/// 7. the ingress service's routing plan, longest prefix; the customer's
///    rate from the ingress service's rating plan; the entry's egress
///    services filtered by carrier assignments and margin, and ordered
///    (`RouteChoice`);
/// 8. per egress service, the target as that supplier takes the call:
///    usable, below capacity, a codec in common, its translation, identity
///    headers, 100rel, session timer and policy on responses; suppliers that
///    cannot pay are skipped (`EgressTargets`, `EgressTargetBuilder`);
/// 9. a softphone user's monthly call limit (its plan's), then credit
///    (docs/credit.md): the customer's account (a softphone user's wallet
///    for a user's call) must pay the first billing interval and the
///    connection fee, counting what its live calls hold; that much is
///    reserved while the call rings.
///
/// The steps run once per call are `@inline(__always)`: the source reads as
/// steps, the optimizer still sees one function (bench/PipelineBench).
public struct CallPipeline: CallRouter {
  public let snapshot: Snapshot
  /// The status of a call refused by a CPS or capacity limit.
  public var limitStatus: Int
  /// Retry-After seconds on a capacity refusal (CPS refusals say when the next token comes).
  public var capacityRetryAfterSeconds: Int
  /// Called numbers that are never refused for credit (`retail.emergency_numbers`,
  /// docs/softphones.md): step 9 is skipped for them.
  public var emergencyNumbers: Set<String>

  public init(
    snapshot: Snapshot, limitStatus: Int = CallLimits.defaultStatus,
    capacityRetryAfterSeconds: Int = CallLimits.defaultCapacityRetryAfterSeconds,
    emergencyNumbers: Set<String> = []
  ) {
    self.snapshot = snapshot
    self.emergencyNumbers = emergencyNumbers
    self.limitStatus = limitStatus
    self.capacityRetryAfterSeconds = capacityRetryAfterSeconds
  }

  public func knowsSource(_ source: Endpoint) -> Bool { snapshot.knownPeers.contains(host: source.host) }

  public func requote(_ quote: RateQuote, number: String, atUnixMs unixMs: Int64) -> RateQuote? {
    snapshot.ratingPlans[quote.ratingPlanID].flatMap { snapshot.quote($0, number, atUnixMs: unixMs) }
  }

  public func identifiesInterconnect(_ invite: SIPMessage, source: Endpoint) -> Bool {
    switch snapshot.identifier.identify(source: source, requestURIUser: invite.requestURI?.user ?? "") {
    case .matched: true
    case .rejected(_, let reason): reason != IngressDecision.unknownReason
    }
  }

  public var retail: RetailDirectory? { snapshot.retail }

  public func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
    do throws(Refusal) {
      return .route(try routedCall(invite, source, context))
    } catch {
      return .refuse(error)
    }
  }

  /// The steps, in order.
  private func routedCall(_ invite: SIPMessage, _ source: Endpoint, _ context: RouteContext) throws(Refusal)
    -> RoutedCall
  {
    // 1. Who is calling (an interconnect, or an authenticated softphone
    //    user as its retail ingress service). 2. Its validation settings.
    let ingress =
      if let caller = context.caller {
        try IngressCall(invite, caller: caller, snapshot: snapshot)
      } else {
        try IngressCall(invite, source: source, snapshot: snapshot)
      }
    try ingress.validate(invite)
    if let drained = context.drained,
      !drained.allows(interconnectID: ingress.match.interconnect.id, serviceID: ingress.match.service.id)
    {
      throw .drained
    }

    // 3. CPS, then capacity.
    try CallLimits(status: limitStatus, capacityRetryAfterSeconds: capacityRetryAfterSeconds)
      .admit(ingress, context)

    // 4. Signalling settings on the offer.
    let options = OptionHeaders(invite)
    var edits = MessageEdits()
    try options.admit(ingress.policy.signalling, changes: &edits.headers)

    // 5. Translation: the caller (picked, checked, translated) and the called number.
    let caller = try ingress.caller(invite)
    let called = ingress.calledNumber

    // 6. Codecs on the offer (parsed only when a codec policy needs it).
    let offer = OfferSDP(invite)
    try offer.filter(by: ingress.policy.codecs, body: &edits.body)

    // 6b. A number of this switch (a DID): delivered to its owner, not the
    //     routing plan (docs/dids.md). One hash lookup per interconnect call.
    if context.caller == nil, let did = snapshot.retail.dids.number(called) {
      return try DIDDelivery(
        pipeline: self, ingress: ingress, context: context, invite: invite, caller: caller, called: called,
        offer: offer, options: options
      ).routed(did, edits: edits)
    }

    // 7. Routing plan, the customer's price, the egress services in order.
    let choice = try RouteChoice(snapshot, ingress.match, called: called, context)

    // 8. A target per egress service, as each supplier takes the call.
    let builder = EgressTargetBuilder(
      snapshot: snapshot, caller: ingress.match.carrier, live: context.liveCalls, drained: context.drained,
      fromUser: invite.fromURI?.user, fromHost: invite.fromURI?.host ?? "invalid", callerIdentity: caller,
      called: called, offer: offer, options: options,
      sessionTimerSet: ingress.policy.signalling.sessionTimer != nil,
      setPAI: context.caller == nil ? ingress.policy.translation.setPAI : .replace,
      health: context.supplierHealth)
    let egress = try EgressTargets(choice, builder, credit: context.credit)

    // 9. Credit: the payer (the customer carrier, or a user's wallet) pays
    //    the first interval, reserved from now. An emergency number is never
    //    refused or cut for credit: its call holds no credit (docs/softphones.md).
    //    A user's call also takes its place in the month's count (never
    //    refused for an emergency number); a credit refusal gives it back.
    let emergency = !emergencyNumbers.isEmpty && emergencyNumbers.contains(called)
    try admitMonthly(ingress.retailCaller, emergency: emergency, context)
    try admitCredit(ingress, emergency: emergency, quote: choice.customerQuote, context)

    return RoutedCall(
      targets: egress.targets, extraFailoverStatuses: choice.plan.failoverCodes(for: choice.entry),
      ingress: ingress.leg, callerNumber: caller.number, calledNumber: called, edits: edits,
      policy: callPolicy(ingress.policy.signalling, egressSessionTimer: egress.sessionTimer, context),
      customerQuote: choice.customerQuote)
  }

  /// 9. The payer's first interval, reserved from now (none for an
  ///    emergency number); a refusal gives back the month's place.
  private func admitCredit(
    _ ingress: IngressCall, emergency: Bool, quote: RateQuote?, _ context: RouteContext
  )
    throws(Refusal)
  {
    do {
      if let credit = context.credit {
        try credit.admit(
          call: context.callUUID, payer: emergency ? nil : try ingress.payingAccount(),
          quote: emergency ? nil : quote)
      }
    } catch {
      context.monthlyCalls?.end(call: context.callUUID, answered: false)
      throw error
    }
  }

  /// 9. A softphone user's plan caps its answered calls per calendar month
  ///    (UTC, migration 0020): refused at the limit, counting the calls it
  ///    holds now, so concurrent calls cannot overshoot.
  private func admitMonthly(_ caller: RetailCaller?, emergency: Bool, _ context: RouteContext)
    throws(Refusal)
  {
    guard let user = caller?.user, let counter = context.monthlyCalls else { return }
    guard
      counter.admit(
        call: context.callUUID, userID: user.id, limit: user.monthlyCallLimit, unixMs: context.unixMs,
        force: emergency)
    else { throw .monthlyCallLimit }
  }

  /// What the core enforces for the rest of the call.
  func callPolicy(_ signalling: SignallingSettings, egressSessionTimer: Bool, _ context: RouteContext)
    -> CallPolicy
  {
    CallPolicy(
      maxDurationMs: signalling.maxCallDurationSeconds.map { Int64($0) * 1000 },
      sessionTimer: signalling.sessionTimer != nil || egressSessionTimer,
      earlyMedia: signalling.earlyMedia, releaseCauses: signalling.releaseCauses,
      creditControl: context.credit != nil)
  }
}
