import Billing
import Policy
import Routing
import SIPCore

/// A forwarded leg (docs/dids.md): a number is routed through the routing
/// plans as a call of the DID's owner (its retail ingress service, its
/// rating plan, its carrier's supplier assignments) and admitted against
/// its wallet; a SIP URI with an IP address goes there as it is, unrated.
extension DIDDelivery {
  func forward(
    _ forward: CallRuleEngine.Forward, of did: DIDNumber, from: (user: String?, host: String),
    into call: inout RoutedCall, _ inbound: inout InboundCall
  ) throws(Refusal) {
    guard let ownerID = did.userID, let owner = snapshot.retail.owner(ofDID: ownerID) else {
      throw Refusal(status: 480, reason: "Number Unassigned")
    }
    guard let start = self.context.startForwardedLeg?() else {
      throw Refusal(status: 480, reason: "Forwarding Unavailable")
    }
    let recordID = start.recordID
    // Rated, routed and counted as of now: a leg placed when the devices'
    // fork ends starts later than the call.
    var context = self.context
    context.nowMs = start.nowMs
    context.unixMs = start.unixMs
    let leg: ForwardedLeg
    switch forward.target {
    case .number(let number):
      let match = try snapshot.retailIngress(of: owner, number: number).get()
      let choice = try RouteChoice(snapshot, match, called: number, context)
      let builder = EgressTargetBuilder(
        snapshot: snapshot, caller: match.carrier, live: context.liveCalls, drained: context.drained,
        fromUser: from.user, fromHost: from.host, callerIdentity: caller, called: number, offer: offer,
        options: options, sessionTimerSet: ingress.policy.signalling.sessionTimer != nil,
        setPAI: ingress.policy.translation.setPAI, health: context.supplierHealth)
      let egress = try EgressTargets(choice, builder, credit: context.credit)
      guard let wallet = owner.walletID else { throw .noWallet }
      // The owner's plan's monthly call limit counts the leg (migration 0020).
      if let counter = context.monthlyCalls,
        !counter.admit(call: recordID, userID: ownerID, limit: owner.monthlyCallLimit, unixMs: context.unixMs)
      {
        throw .monthlyCallLimit
      }
      if let credit = context.credit {
        do {
          try credit.admit(call: recordID, payer: AccountRef(.wallet, wallet), quote: choice.customerQuote)
        } catch {
          context.monthlyCalls?.end(call: recordID, answered: false)
          throw error
        }
      }
      for var target in egress.targets {
        // A device's contact may have rewritten the Request-URI: the supplier's is its own.
        target.requestURI = "sip:\(target.requestURIUser ?? number)@\(target.destination.hostPort)"
        target.requestURIUser = nil
        call.targets.append(target)
      }
      call.extraFailoverStatuses.formUnion(choice.plan.failoverCodes(for: choice.entry))
      call.policy.sessionTimer = call.policy.sessionTimer || egress.sessionTimer
      leg = ForwardedLeg(
        recordID: recordID, ruleID: forward.ruleID, userID: ownerID,
        ingress: CarrierLeg(
          carrierID: match.carrier.id, interconnectID: match.interconnect.id, serviceID: match.service.id),
        customerQuote: choice.customerQuote, calledNumber: number)
    case .uri(let uri):
      guard let destination = Self.endpoint(ofURI: uri) else {
        throw Refusal(status: 480, reason: "Forward Target Unreachable")
      }
      _ = context.credit?.admit(call: recordID, customer: nil)
      call.targets.append(RouteTarget(destination: destination, requestURI: uri))
      leg = ForwardedLeg(
        recordID: recordID, ruleID: forward.ruleID, userID: ownerID, ingress: nil, customerQuote: nil,
        calledNumber: uri)
    }
    inbound.forwardedLeg = leg
  }

  /// Where a `sip:` URI's host (an IP address, IPv6 in brackets) and port
  /// (5060 when absent) point; nil for a host name (not resolved).
  static func endpoint(ofURI uri: String) -> Endpoint? {
    guard let at = uri.firstIndex(of: "@") else { return nil }
    var hostPort = uri[uri.index(after: at)...]
    if let end = hostPort.firstIndex(where: { $0 == ";" || $0 == "?" || $0 == ">" }) {
      hostPort = hostPort[..<end]
    }
    let host: Substring
    var port = 5060
    if hostPort.hasPrefix("[") {
      guard let close = hostPort.firstIndex(of: "]") else { return nil }
      host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
      let rest = hostPort[hostPort.index(after: close)...]
      if rest.hasPrefix(":") { port = Int(rest.dropFirst()) ?? -1 } else if !rest.isEmpty { return nil }
    } else {
      let parts = hostPort.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count <= 2 else { return nil }
      host = parts[0]
      if parts.count == 2 { port = Int(parts[1]) ?? -1 }
      guard host.split(separator: ".").count == 4, host.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber })
      else { return nil }
    }
    guard (1...65535).contains(port), !host.isEmpty else { return nil }
    return Endpoint(transport: .udp, host: String(host), port: port)
  }
}
