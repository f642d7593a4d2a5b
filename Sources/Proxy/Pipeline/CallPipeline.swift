import Billing
import Policy
import Routing
import SIPCore

/// Softswitch mode: decides an initial INVITE against the reference-data
/// snapshot, in the order of ARCHITECTURE.md's call pipeline. Each step
/// either passes the call on or refuses it with a SIP status and a reason
/// phrase naming the rule (the proxy core logs it with the source).
///
/// 1. identify the ingress interconnect (source address, port, transport,
///    tech prefix; `IngressIdentifier`), which strips the tech prefix;
/// 2. its validation settings (From / Contact patterns, trunk group, test
///    calls): 403 naming the check;
/// 3. CPS limits of the interconnect and the ingress service (503 with
///    Retry-After), then capacity limits of the carrier, interconnect and
///    service (503);
/// 4. signalling settings on the offer: 100rel (420), session timer (422);
/// 5. translation: caller picked and checked, global + origin rules on it,
///    global + destination rules on the called number;
/// 6. codec policy on the SDP offer (488 when nothing is left);
/// 7. the ingress service's routing plan, longest prefix (404); the
///    customer's rate from the ingress service's rating plan (403 when it
///    has none for the number); the entry's egress services, each kept only
///    when the supplier is assigned to this customer (carrier assignments)
///    and its cost keeps the plan's margin, ordered by priority groups and
///    the entry's route order (as listed, weight or least cost), then kept
///    only when its service, interconnect and carrier can take the call, it
///    is below capacity and it has a codec in common (488 when codecs
///    emptied the list, 503 `No Route Within Margin`, 403 `No Assigned
///    Route`, else 503);
///    Suppliers whose account cannot pay the first interval, or that
///    reached their 24-hour spend limit, are skipped (503 `No Supplier
///    Credit` when none is left);
/// 8. per target: the egress interconnect's translation, identity headers,
///    codecs, 100rel and session timer, and its policy on responses;
/// 9. credit (docs/credit.md): the customer's account must pay the first
///    billing interval and the connection fee, counting what its live
///    calls hold (402 `Insufficient Credit`, 402 `24 Hour Spend Limit
///    Reached`); that much is reserved while the call rings.
public struct CallPipeline: CallRouter {
  public let snapshot: Snapshot
  /// The status of a call refused by a CPS or capacity limit.
  public var limitStatus: Int
  /// Retry-After seconds on a capacity refusal (CPS refusals say when the next token comes).
  public var capacityRetryAfterSeconds: Int

  public init(snapshot: Snapshot, limitStatus: Int = 503, capacityRetryAfterSeconds: Int = 5) {
    self.snapshot = snapshot
    self.limitStatus = limitStatus
    self.capacityRetryAfterSeconds = capacityRetryAfterSeconds
  }

  public func knowsSource(_ source: Endpoint) -> Bool { snapshot.knownPeers.contains(host: source.host) }

  public func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
    // 1. Who is calling.
    let requestUser = invite.requestURI?.user ?? ""
    let match: IngressMatch
    switch snapshot.identifier.identify(source: source, requestURIUser: requestUser) {
    case .rejected(let status, let reason):
      return .reject(status: status, reason: reason)
    case .matched(let found):
      match = found
    }
    let ingress = snapshot.policy(of: match.interconnect.id)
    // RFC 4904 user parameters (;tgrp=...) are not part of the number.
    let number = match.number.contains(";") ? numberWithoutUserParameters(match.number) : match.number

    // 2. Validation settings.
    if let validation = ingress.validation {
      if let failure = validation.check(validationInput(invite, requestUser: requestUser)) {
        return .reject(status: 403, reason: failure.reason)
      }
    }

    // 3. CPS, then capacity.
    if let refusal = callRateRefusal(match, ingress, context) { return .refuse(refusal) }
    if let refusal = capacityRefusal(match, context.liveCalls) { return .refuse(refusal) }

    // 4. Signalling settings on the offer.
    let options = OptionHeaders(invite)
    var edits = MessageEdits()
    if !ingress.signalling.reliableProvisional {
      if options.requires100rel {
        return .refuse(
          Refusal(status: 420, reason: "Bad Extension", headers: [HeaderField("Unsupported", "100rel")]))
      }
      edits.headers += options.without100rel
    }
    if let timer = ingress.signalling.sessionTimer {
      switch options.inspect(timer) {
      case .tooSmall(let minimum):
        return .refuse(
          Refusal(
            status: 422, reason: "Session Interval Too Small", headers: [HeaderField("Min-SE", "\(minimum)")])
        )
      case .forward(let expires, let min):
        edits.headers += OptionHeaders.sessionTimerChanges(expires, min)
      }
    }

    // 5. Translation: the caller (picked, checked, translated) and the called number.
    let caller: CallerIdentity
    switch ingress.translation.ingressCaller(callerHeaders(invite)) {
    case .reject(let reason): return .reject(status: 403, reason: reason)
    case .accept(let identity): caller = identity
    }
    let called = ingress.translation.translateCalled(number)

    // 6. Codecs on the offer (parsed only when a codec policy needs it).
    let offer = OfferSDP(invite)
    if !ingress.codecs.isEmpty, let sdp = offer.value {
      switch ingress.codecs.filterOffer(sdp) {
      case .noCommonCodec(let reason): return .reject(status: 488, reason: reason)
      case .rewritten(let filtered):
        offer.value = filtered
        edits.body = .replace(filtered.bytes, contentType: "application/sdp")
      case .unchanged: break
      }
    }

    // 7. Routing plan, longest prefix; the customer's price; the entry's
    //    egress services filtered (assignments, margin) and ordered.
    guard let planID = match.service.routingPlanID, let plan = snapshot.routingPlans[planID] else {
      return .reject(status: 403, reason: "No Routing Plan")
    }
    guard let entry = plan.lookup(destination: called) else {
      return .reject(status: 404, reason: "No Route")
    }
    var customerQuote: RateQuote?
    var margin = MarginRule.off
    if let ratingPlanID = match.service.ratingPlanID {
      guard let ratingPlan = snapshot.ratingPlans[ratingPlanID],
        let quote = quote(ratingPlan, called, context.unixMs)
      else { return .reject(status: 403, reason: "No Customer Rate") }
      customerQuote = quote
      margin = ratingPlan.margin
    }
    let supplierQuotes = entry.routes.map { route in
      snapshot.services[route.carrierServiceID]?.ratingPlanID
        .flatMap { snapshot.ratingPlans[$0] }
        .flatMap { quote($0, called, context.unixMs) }
    }
    func supplierQuote(_ serviceID: String) -> RateQuote? {
      entry.routes.firstIndex { $0.carrierServiceID == serviceID }.flatMap { supplierQuotes[$0] }
    }
    let customer = CarrierAssignments.Customer(
      carrierID: match.carrier.id, categoryID: match.carrier.categoryID, groupID: match.carrier.groupID)
    var notAssigned = 0
    var belowMargin = 0
    var random = SplitMix64(seed: context.randomSeed)
    let ordered = RouteSelection.egressServiceIDs(
      for: entry, order: plan.order(for: entry),
      isUsable: { serviceID in
        guard let service = snapshot.services[serviceID] else { return false }
        guard snapshot.assignments.allows(supplierCarrierID: service.carrierID, customer: customer) else {
          notAssigned += 1
          return false
        }
        if let customerQuote, margin != .off {
          guard let cost = supplierQuote(serviceID),
            margin.allows(customer: customerQuote, supplier: cost, currencies: snapshot.currencies)
          else {
            belowMargin += 1
            return false
          }
        }
        return true
      },
      cost: { serviceID in
        supplierQuote(serviceID).map {
          RouteSelection.Cost(ratePerMinute: $0.ratePerMinute, currency: $0.currency)
        }
      }, currencies: snapshot.currencies, random: &random)
    let request = OfferFacts(
      fromUser: invite.fromURI?.user, caller: caller, called: called, offer: offer, options: options,
      sessionTimerSet: ingress.signalling.sessionTimer != nil, setPAI: ingress.translation.setPAI,
      fromHost: invite.fromURI?.host ?? "invalid")
    var targets: [RouteTarget] = []
    targets.reserveCapacity(ordered.count)
    var codecSkips = 0
    var creditSkips = 0
    var egressSessionTimer = false
    for serviceID in ordered {
      switch target(for: serviceID, caller: match.carrier, request, context.liveCalls) {
      case .target(var target, let sessionTimer):
        target.supplierQuote = supplierQuote(serviceID)
        if let credit = context.credit, let quote = target.supplierQuote, let egress = target.egress,
          !credit.supplierCanCarry(
            CreditParty(account: AccountRef(.supplier, egress.carrierID), quote: quote))
        {
          creditSkips += 1
          continue
        }
        targets.append(target)
        egressSessionTimer = egressSessionTimer || sessionTimer
      case .noCommonCodec: codecSkips += 1
      case .unusable: break
      }
    }
    if targets.isEmpty {
      if codecSkips > 0 { return .reject(status: 488, reason: "No Common Codec") }
      if creditSkips > 0 { return .reject(status: 503, reason: "No Supplier Credit") }
      if belowMargin > 0 { return .reject(status: 503, reason: "No Route Within Margin") }
      if notAssigned > 0 { return .reject(status: 403, reason: "No Assigned Route") }
      return .reject(status: 503, reason: "No Available Route")
    }

    // 8. What the core enforces for the rest of the call.
    let signalling = ingress.signalling
    let policy = CallPolicy(
      maxDurationMs: signalling.maxCallDurationSeconds.map { Int64($0) * 1000 },
      sessionTimer: signalling.sessionTimer != nil || egressSessionTimer,
      earlyMedia: signalling.earlyMedia, releaseCauses: signalling.releaseCauses,
      creditControl: context.credit != nil)

    // 9. Credit: the customer pays the first interval, reserved from now.
    if let credit = context.credit {
      let party = customerQuote.map {
        CreditParty(account: AccountRef(.customer, match.carrier.id), quote: $0)
      }
      if let shortage = credit.admit(call: context.callUUID, customer: party) {
        let refusal = shortage.refusal
        return .refuse(Refusal(status: refusal.status, reason: refusal.reason, kind: .credit))
      }
    }
    return .route(
      RoutedCall(
        targets: targets, extraFailoverStatuses: plan.failoverCodes(for: entry),
        ingress: CarrierLeg(
          carrierID: match.carrier.id, interconnectID: match.interconnect.id, serviceID: match.service.id),
        callerNumber: caller.number, calledNumber: called, edits: edits, policy: policy,
        customerQuote: customerQuote))
  }

  /// `plan`'s price for `number` at `unixMs`, with its currency's exchange rate.
  private func quote(_ plan: RatingPlan, _ number: String, _ unixMs: Int64) -> RateQuote? {
    guard var quote = plan.quote(destination: number, atUnixMs: unixMs) else { return nil }
    quote.exchangeRate = snapshot.currencies.rates[quote.currency]
    return quote
  }

  // MARK: Steps

  private func validationInput(_ invite: SIPMessage, requestUser: String) -> ValidationInput {
    let contact = invite.contactURI
    return ValidationInput(
      fromURI: invite.fromURI.map(ValidationInput.uriText) ?? "",
      contactURI: contact.map(ValidationInput.uriText),
      requestURIUser: requestUser, contactUser: contact?.user,
      contactParameters: contact?.parameters.map { (name: $0.name, value: $0.value) } ?? [],
      isTestCall: invite.headerValues("x-test-call").first.map(TestSystemControl.isTestCall(headerValue:))
        ?? false)
  }

  private func callRateRefusal(_ match: IngressMatch, _ ingress: InterconnectPolicy, _ context: RouteContext)
    -> Refusal?
  {
    let limits: [(key: String, limit: CallRateLimit?, what: String)] = [
      ("i:" + match.interconnect.id, ingress.callRate, "Interconnect"),
      ("s:" + match.service.id, match.service.callRate, "Service"),
    ]
    for (key, limit, what) in limits {
      guard let limit else { continue }
      if !context.cps.admit(key: key, rate: limit.rate, burst: limit.burst, nowMs: context.nowMs) {
        let retry = context.cps.retryAfterSeconds(key: key, nowMs: context.nowMs)
        return Refusal(
          status: limitStatus, reason: "\(what) CPS Limit Exceeded",
          headers: [HeaderField("Retry-After", "\(retry)")],
          kind: .callRate)
      }
    }
    return nil
  }

  private func capacityRefusal(_ match: IngressMatch, _ live: LiveCalls) -> Refusal? {
    let checks: [(CapacityMode, Int?, Int, String)] = [
      (
        match.carrier.capacityMode, match.carrier.capacityLimit, live.calls(carrier: match.carrier.id),
        "Carrier"
      ),
      (
        match.interconnect.capacityMode, match.interconnect.capacityLimit,
        live.calls(interconnect: match.interconnect.id), "Interconnect"
      ),
      (
        match.service.capacityMode, match.service.capacityLimit, live.calls(service: match.service.id),
        "Service"
      ),
    ]
    for (mode, limit, current, what) in checks where Self.isFull(mode, limit, current) {
      return Refusal(
        status: limitStatus, reason: "\(what) At Capacity",
        headers: [HeaderField("Retry-After", "\(capacityRetryAfterSeconds)")], kind: .capacity)
    }
    return nil
  }

  private func callerHeaders(_ invite: SIPMessage) -> CallerHeaders {
    CallerHeaders(
      fromUser: invite.fromURI?.user,
      paiUser: invite.headerValues("p-asserted-identity").first.flatMap(SIPMessage.userOfURIHeader),
      rpidUser: invite.headerValues("remote-party-id").first.flatMap(SIPMessage.userOfURIHeader),
      privacy: invite.privacyTokens)
  }

  /// A capped carrier, interconnect or service with `current` calls cannot take one more.
  private static func isFull(_ mode: CapacityMode, _ limit: Int?, _ current: Int) -> Bool {
    mode == .capped && current >= (limit ?? 0)
  }

  /// The INVITE's option-tag and session-timer headers, read once for the
  /// ingress checks and every target.
  private struct OptionHeaders {
    let supported: [String]
    let requires100rel: Bool
    let hasPAI: Bool
    let sessionExpires: String?
    let minSE: String?

    init(_ invite: SIPMessage) {
      supported = invite.headerValues("supported")
      requires100rel = OptionTags.contains("100rel", in: invite.headerValues("require"))
      hasPAI = !invite.headerValues("p-asserted-identity").isEmpty
      sessionExpires = invite.headerValues("session-expires").first
      minSE = invite.headerValues("min-se").first
    }

    /// Supported without 100rel (nothing to change when it was not there).
    var without100rel: [MessageEdits.HeaderChange] {
      guard OptionTags.contains("100rel", in: supported) else { return [] }
      if let rest = OptionTags.removing("100rel", from: supported) { return [.set("Supported", rest)] }
      return [.remove("Supported")]
    }

    func inspect(_ timer: SessionTimerPolicy) -> SessionTimerDecision {
      timer.inspectRequest(
        sessionExpires: sessionExpires, minSE: minSE,
        uacSupportsTimer: OptionTags.contains("timer", in: supported))
    }

    static func sessionTimerChanges(_ expires: String?, _ minSE: String?) -> [MessageEdits.HeaderChange] {
      (expires.map { [.set("Session-Expires", $0)] } ?? []) + (minSE.map { [.set("Min-SE", $0)] } ?? [])
    }
  }

  /// The INVITE's SDP offer, parsed on first use: most calls meet no codec
  /// policy and never need it.
  private final class OfferSDP {
    private let invite: SIPMessage
    private var parsed = false
    private var sdp: SessionDescription?

    init(_ invite: SIPMessage) { self.invite = invite }

    var value: SessionDescription? {
      get {
        if !parsed {
          parsed = true
          sdp = invite.body.flatMap { body in
            invite.contentType?.lowercased().hasPrefix("application/sdp") == true
              ? SessionDescription(bytes: body) : nil
          }
        }
        return sdp
      }
      set {
        parsed = true
        sdp = newValue
      }
    }
  }

  /// What the targets are built from: the offer after ingress policy.
  private struct OfferFacts {
    let fromUser: String?
    let caller: CallerIdentity
    let called: String
    let offer: OfferSDP
    let options: OptionHeaders
    let sessionTimerSet: Bool
    let setPAI: PAIMode
    let fromHost: String
  }

  private enum TargetChoice {
    /// `sessionTimer`: this supplier's interconnect watches session timers.
    case target(RouteTarget, sessionTimer: Bool)
    case noCommonCodec
    case unusable
  }

  /// The target for one egress service, or why there is none.
  private func target(for serviceID: String, caller: Carrier, _ facts: OfferFacts, _ live: LiveCalls)
    -> TargetChoice
  {
    guard let service = snapshot.services[serviceID], service.direction == .egress,
      let interconnect = snapshot.interconnects[service.interconnectID], interconnect.isActive,
      interconnect.direction.allowsEgress, let destination = interconnect.egressEndpoint,
      let carrier = snapshot.carriers[service.carrierID]
    else { return .unusable }
    // `testing` entities only carry their own carrier's calls (docs/database.md).
    guard service.status.isUsable(forIngressCarrier: caller.id, ownerCarrier: carrier.id),
      carrier.status.isUsable(forIngressCarrier: caller.id, ownerCarrier: carrier.id)
    else { return .unusable }
    // Circular routing: a call goes back to the carrier it came from only
    // when that carrier allows it, or when the route is under test.
    if carrier.id == caller.id, !caller.circularRouting, service.status != .testing,
      carrier.status != .testing
    {
      return .unusable
    }
    // A supplier at capacity is skipped; the next one is tried.
    let full: [(CapacityMode, Int?, Int)] = [
      (carrier.capacityMode, carrier.capacityLimit, live.calls(carrier: carrier.id)),
      (interconnect.capacityMode, interconnect.capacityLimit, live.calls(interconnect: interconnect.id)),
      (service.capacityMode, service.capacityLimit, live.calls(service: service.id)),
    ]
    if full.contains(where: Self.isFull) { return .unusable }

    let egress = snapshot.policy(of: interconnect.id)
    var edits = MessageEdits()
    // Codecs this supplier takes.
    if !egress.codecs.isEmpty, let offer = facts.offer.value {
      switch egress.codecs.filterOffer(offer) {
      case .noCommonCodec: return .noCommonCodec
      case .rewritten(let filtered): edits.body = .replace(filtered.bytes, contentType: "application/sdp")
      case .unchanged: break
      }
    }
    // 100rel and session timers as this supplier takes them.
    if !egress.signalling.reliableProvisional {
      if facts.options.requires100rel { return .unusable }
      edits.headers += facts.options.without100rel
    }
    if !facts.sessionTimerSet, let timer = egress.signalling.sessionTimer,
      case .forward(let expires, let min) = facts.options.inspect(timer)
    {
      edits.headers += OptionHeaders.sessionTimerChanges(expires, min)
    }
    // Numbers and identity as this supplier sees them.
    let calledForSupplier = egress.translation.translateCalled(facts.called)
    let callerForSupplier = facts.caller.number.map { egress.translation.translateCaller($0) }
    let identity = identityTowardsSupplier(
      caller: facts.caller, callerNumberForSupplier: callerForSupplier, setPAI: facts.setPAI,
      privacyMethod: egress.privacyMethod,
      hadPAI: facts.options.hasPAI)
    if identity.anonymousFrom {
      edits.from = .anonymous
    } else if let user = identity.fromUser, user != facts.fromUser {
      edits.from = .user(user)
    }
    edits.headers += headerChanges("P-Asserted-Identity", identity.pai, host: facts.fromHost)
    edits.headers += headerChanges(
      "Remote-Party-ID", identity.rpid, host: facts.fromHost,
      rpidParameters: identity.rpidPrivacyFull
        ? ";party=calling;privacy=full;screen=yes" : ";party=calling;screen=yes")
    switch identity.privacy {
    case .keep: break
    case .remove: edits.headers.append(.remove("Privacy"))
    case .set(let value): edits.headers.append(.set("Privacy", value))
    }
    let signalling = egress.signalling
    return .target(
      RouteTarget(
        destination: destination, requestURIUser: service.techPrefix + calledForSupplier,
        egress: CarrierLeg(carrierID: carrier.id, interconnectID: interconnect.id, serviceID: service.id),
        edits: edits,
        policy: TargetPolicy(
          releaseCauses: signalling.releaseCauses, codecs: egress.codecs, earlyMedia: signalling.earlyMedia,
          maxDurationMs: signalling.maxCallDurationSeconds.map { Int64($0) * 1000 })),
      sessionTimer: signalling.sessionTimer != nil)
  }

  private func headerChanges(_ name: String, _ edit: HeaderEdit, host: String, rpidParameters: String = "")
    -> [MessageEdits.HeaderChange]
  {
    switch edit {
    case .keep: return []
    case .remove: return [.remove(name)]
    case .set(let user): return [.set(name, "<sip:\(user)@\(host)>" + rpidParameters)]
    }
  }
}
