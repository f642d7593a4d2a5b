import Billing
import Policy
import Routing
import SIPCore

/// Step 6b of `CallPipeline` (docs/dids.md): an interconnect's call whose
/// translated called number is one of this switch's numbers goes to its
/// owner instead of the routing plan: the owner's registered devices, or
/// where the owner's call rules send it (`CallRuleEngine`). The carrier
/// side keeps steps 1 to 6 (identification, validation, CPS, capacity,
/// signalling, translation, codecs) and step 9 (credit, for the inbound
/// leg's price); a forwarded leg is routed, rated and admitted as a call of
/// the owner (its retail ingress service, its wallet).
struct DIDDelivery {
  let pipeline: CallPipeline
  let ingress: IngressCall
  let context: RouteContext
  /// What the forwarded INVITE is built from (as for any routed call).
  let invite: SIPMessage
  let caller: CallerIdentity
  let called: String
  let offer: OfferSDP
  let options: OptionHeaders

  var snapshot: Snapshot { pipeline.snapshot }

  func routed(_ did: DIDNumber, edits: MessageEdits) throws(Refusal) -> RoutedCall {
    if let refusal = did.refusal { throw Refusal(status: refusal.status, reason: refusal.reason) }
    let directory = snapshot.retail.dids
    var devices: [String: [RouteTarget]] = [:]
    func targets(of user: String) -> [RouteTarget] {
      if let known = devices[user] { return known }
      let found = context.deviceTargets?(user) ?? []
      devices[user] = found
      return found
    }
    let route = CallRuleEngine.route(
      from: did, in: directory, clock: { directory.localClock($0, context.unixMs) },
      registered: { !targets(of: $0).isEmpty })
    guard let ownerID = did.userID else { throw Refusal(status: 480, reason: "Number Unassigned") }
    var inbound = InboundCall(userID: ownerID, phoneNumberID: did.id)
    var call = RoutedCall(
      targets: [], ingress: ingress.leg, callerNumber: caller.number, calledNumber: called, edits: edits,
      policy: pipeline.callPolicy(ingress.policy.signalling, egressSessionTimer: false, context))
    // The forwarded leg's From, read before the ingress edits touch the INVITE.
    let from = (user: invite.fromURI?.user, host: invite.fromURI?.host ?? "invalid")
    var forwardNow: (forward: CallRuleEngine.Forward, owner: DIDNumber)?
    switch route {
    case .refuse(let status, let reason): throw Refusal(status: status, reason: reason)
    case .forward(let owner, let forward): forwardNow = (forward, owner)
    case .ring(let owner, let fallbacks):
      // The devices ring at once (RFC 3261 §16.7, docs/softphones.md
      // "Forking"); the rules' forwarded leg waits on the fork's end.
      call.targets = targets(of: owner.userID ?? "")
      call.forking = .parallel
      if !fallbacks.isEmpty {
        // The offer is read now, before the core edits the INVITE it holds.
        _ = offer.value
        call.noAnswerTimeoutMs = fallbacks.noAnswerSeconds.map { Int64($0) * 1000 }
        call.whenUnanswered = unansweredHook(owner, fallbacks, base: call, inbound: inbound, from: from)
      }
    }
    // The inbound leg's price and payer, admitted before any forwarded leg.
    let (payer, quote) = try inboundPrice(did)
    call.customerQuote = quote
    try admit(call: context.callUUID, payer: payer, quote: quote)
    if let forwardNow {
      do {
        try forward(forwardNow.forward, of: forwardNow.owner, from: from, into: &call, &inbound)
      } catch {
        _ = context.credit?.end(call: context.callUUID, durationMs: nil, nowUnixMs: context.unixMs)
        throw error
      }
    }
    return finished(call, inbound)
  }

  /// The fork's end with no answer (`ForkOutcome`) picks the rule: busy
  /// (every device 486/600) `forward_busy`, the rule's timeout
  /// `forward_no_answer`, every device failing otherwise
  /// `forward_unavailable`; a 6xx none. The forwarded leg is placed then
  /// (routed, admitted against the owner's wallet, counted); one that
  /// cannot be placed leaves the devices' best response.
  private func unansweredHook(
    _ owner: DIDNumber, _ fallbacks: CallRuleEngine.Fallbacks, base: RoutedCall, inbound: InboundCall,
    from: (user: String?, host: String)
  ) -> UnansweredHook {
    var base = base
    base.targets = []
    base.forking = .sequential
    base.noAnswerTimeoutMs = nil
    return UnansweredHook { outcome in
      let forward: CallRuleEngine.Forward?
      switch outcome {
      case .busy: forward = fallbacks.onBusy
      case .noAnswer: forward = fallbacks.onNoAnswer
      case .unavailable: forward = fallbacks.onUnavailable
      case .declined: forward = nil
      }
      guard let forward else { return nil }
      var call = base
      var inbound = inbound
      do {
        try self.forward(forward, of: owner, from: from, into: &call, &inbound)
      } catch {
        return nil
      }
      return .route(finished(call, inbound))
    }
  }

  private func finished(_ call: RoutedCall, _ inbound: InboundCall) -> RoutedCall {
    var call = call
    call.inbound = inbound
    return call
  }

  private func admit(call uuid: String, payer: AccountRef?, quote: RateQuote?) throws(Refusal) {
    guard let credit = context.credit else { return }
    try credit.admit(call: uuid, payer: payer, quote: quote)
  }

  /// Who pays the inbound leg, at what price: the ingress service's rating
  /// plan for the DID number (no rate: the leg is free), charged to the
  /// carrier; a toll-free number's leg is the owner's, priced by the owner's
  /// retail ingress service's rating plan and charged to its wallet.
  private func inboundPrice(_ did: DIDNumber) throws(Refusal) -> (AccountRef?, RateQuote?) {
    if did.isTollFree {
      guard let owner = did.userID.flatMap(snapshot.retail.owner(ofDID:)) else {
        throw Refusal(status: 480, reason: "Number Unassigned")
      }
      let match = try snapshot.retailIngress(of: owner, number: called).get()
      guard let planID = match.service.ratingPlanID, let plan = snapshot.ratingPlans[planID],
        let quote = snapshot.quote(plan, called, atUnixMs: context.unixMs)
      else { throw Refusal(status: 403, reason: "Toll-Free Number Not Rated") }
      guard let wallet = owner.walletID else { throw .noWallet }
      return (AccountRef(.wallet, wallet), quote)
    }
    guard let planID = ingress.match.service.ratingPlanID, let plan = snapshot.ratingPlans[planID] else {
      return (nil, nil)
    }
    switch snapshot.lookup(plan, called, atUnixMs: context.unixMs) {
    case .rated(let quote): return (AccountRef(.customer, ingress.match.carrier.id), quote)
    case .closed: throw .closedCode
    case .unrated: return (nil, nil)
    }
  }
}
