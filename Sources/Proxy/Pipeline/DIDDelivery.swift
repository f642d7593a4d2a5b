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

  /// Statuses from a device that move the call on to the next device.
  static let deviceFailover: Set<Int> = [404, 480, 486]

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
    var leg: (forward: CallRuleEngine.Forward, owner: DIDNumber, forwardOn: Set<Int>)?
    switch route {
    case .refuse(let status, let reason): throw Refusal(status: status, reason: reason)
    case .forward(let owner, let forward): leg = (forward, owner, [])
    case .ring(let owner, let fallbacks):
      call.targets = targets(of: owner.userID ?? "")
      call.extraFailoverStatuses = Self.deviceFailover
      // The sequential path has one forwarded leg after the devices: the
      // no-answer rule's, else the busy rule's, else the unavailable rule's.
      if let forward = fallbacks.onNoAnswer ?? fallbacks.onBusy ?? fallbacks.onUnavailable {
        var on: Set<Int> = []
        if fallbacks.onNoAnswer == forward, let seconds = fallbacks.noAnswerSeconds {
          on.insert(408)
          inbound.ringUntilMs = context.nowMs + Int64(seconds) * 1000
        }
        if fallbacks.onBusy == forward { on.formUnion([486, 600]) }
        if fallbacks.onUnavailable == forward { on.formUnion([404, 408, 480, 500, 502, 503, 504]) }
        leg = (forward, owner, on)
      }
    }
    // Devices with no forwarded leg behind them ring at once (RFC 3261
    // §16.7, docs/softphones.md "Forking"); with one, they are tried in turn
    // before it (the sequential path's forward rules, docs/dids.md).
    if leg == nil, !call.targets.isEmpty { call.forking = .parallel }
    // The inbound leg's price and payer, admitted before any forwarded leg.
    let (payer, quote) = try inboundPrice(did)
    call.customerQuote = quote
    try admit(call: context.callUUID, payer: payer, quote: quote)
    if let leg {
      do {
        try forward(leg.forward, of: leg.owner, forwardOn: leg.forwardOn, into: &call, &inbound)
      } catch {
        // Ringing devices stay: a forward that cannot be placed only loses the fallback.
        guard call.targets.isEmpty else { return finished(call, inbound) }
        _ = context.credit?.end(call: context.callUUID, durationMs: nil, nowUnixMs: context.unixMs)
        throw error
      }
    }
    return finished(call, inbound)
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
