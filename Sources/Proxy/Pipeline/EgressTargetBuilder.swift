import Policy
import SIPCore

/// Builds the target for one egress service (step 8 of `CallPipeline`): the
/// service, its interconnect and carrier must be able to take the call, and
/// the INVITE is edited as this supplier takes it (codecs, 100rel, session
/// timer, numbers, caller identity and privacy).
struct EgressTargetBuilder {
  /// The target for one egress service, or why there is none.
  enum Choice {
    /// `sessionTimer`: this supplier's interconnect watches session timers.
    case target(RouteTarget, sessionTimer: Bool)
    case noCommonCodec
    case unusable
  }

  let snapshot: Snapshot
  /// The carrier the call came from.
  let caller: Carrier
  let live: LiveCalls
  /// Drained by an operator: skipped like an inactive interconnect.
  let drained: DrainedTrunks?
  /// What the targets are built from: the offer after ingress policy.
  let fromUser: String?
  let fromHost: String
  let callerIdentity: CallerIdentity
  let called: String
  let offer: OfferSDP
  let options: OptionHeaders
  /// The ingress interconnect set the session timer already.
  let sessionTimerSet: Bool
  let setPAI: PAIMode
  /// Supplier interconnects down by their probes: skipped with no wait.
  var health: SupplierHealth? = nil

  @inline(__always)
  func target(for serviceID: String) -> Choice {
    guard let (service, interconnect, carrier, destination) = usableRoute(serviceID) else { return .unusable }
    let egress = snapshot.policy(of: interconnect.id)
    var edits = MessageEdits()
    // Codecs this supplier takes.
    if !egress.codecs.isEmpty, let sdp = offer.value {
      switch egress.codecs.filterOffer(sdp) {
      case .noCommonCodec: return .noCommonCodec
      case .rewritten(let filtered): edits.body = .replace(filtered.bytes, contentType: "application/sdp")
      case .unchanged: break
      }
    }
    // 100rel and session timers as this supplier takes them.
    if !egress.signalling.reliableProvisional {
      if options.requires100rel { return .unusable }
      edits.headers += options.without100rel
    }
    if !sessionTimerSet, let timer = egress.signalling.sessionTimer,
      case .forward(let expires, let min) = options.inspect(timer)
    {
      edits.headers += OptionHeaders.sessionTimerChanges(expires, min)
    }
    // Numbers and identity as this supplier sees them.
    let calledForSupplier = egress.translation.translateCalled(called)
    addIdentity(egress, to: &edits)
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

  /// The egress service with its interconnect, carrier and destination, when
  /// all can take this call: active, egress, usable by this caller, not the
  /// caller's own carrier unless allowed, below capacity.
  @inline(__always)
  private func usableRoute(_ serviceID: String) -> (CarrierService, Interconnect, Carrier, Endpoint)? {
    guard let service = snapshot.services[serviceID], service.direction == .egress,
      let interconnect = snapshot.interconnects[service.interconnectID], interconnect.isActive,
      interconnect.direction.allowsEgress, let destination = interconnect.egressEndpoint,
      let carrier = snapshot.carriers[service.carrierID]
    else { return nil }
    if let drained, !drained.allows(interconnectID: interconnect.id, serviceID: service.id) { return nil }
    if let health, health.isDown(interconnect.id) { return nil }
    // `testing` entities only carry their own carrier's calls (docs/database.md).
    guard service.status.isUsable(forIngressCarrier: caller.id, ownerCarrier: carrier.id),
      carrier.status.isUsable(forIngressCarrier: caller.id, ownerCarrier: carrier.id)
    else { return nil }
    // Circular routing: a call goes back to the carrier it came from only
    // when that carrier allows it, or when the route is under test.
    if carrier.id == caller.id, !caller.circularRouting, service.status != .testing,
      carrier.status != .testing
    {
      return nil
    }
    // A supplier at capacity is skipped; the next one is tried.
    if live.full(carrier: carrier, interconnect: interconnect, service: service) != nil { return nil }
    return (service, interconnect, carrier, destination)
  }

  /// The caller's number, P-Asserted-Identity, Remote-Party-ID and privacy
  /// as the egress interconnect's translation and privacy method want them.
  @inline(__always)
  private func addIdentity(_ egress: InterconnectPolicy, to edits: inout MessageEdits) {
    let callerForSupplier = callerIdentity.number.map { egress.translation.translateCaller($0) }
    let identity = identityTowardsSupplier(
      caller: callerIdentity, callerNumberForSupplier: callerForSupplier, setPAI: setPAI,
      privacyMethod: egress.privacyMethod, hadPAI: options.hasPAI)
    if identity.anonymousFrom {
      edits.from = .anonymous
    } else if let user = identity.fromUser, user != fromUser {
      edits.from = .user(user)
    }
    edits.headers += headerChanges("P-Asserted-Identity", identity.pai)
    edits.headers += headerChanges(
      "Remote-Party-ID", identity.rpid,
      parameters: identity.rpidPrivacyFull
        ? ";party=calling;privacy=full;screen=yes" : ";party=calling;screen=yes")
    switch identity.privacy {
    case .keep: break
    case .remove: edits.headers.append(.remove("Privacy"))
    case .set(let value): edits.headers.append(.set("Privacy", value))
    }
  }

  private func headerChanges(_ name: String, _ edit: HeaderEdit, parameters: String = "")
    -> [MessageEdits.HeaderChange]
  {
    switch edit {
    case .keep: return []
    case .remove: return [.remove(name)]
    case .set(let user): return [.set(name, "<sip:\(user)@\(fromHost)>" + parameters)]
    }
  }
}
