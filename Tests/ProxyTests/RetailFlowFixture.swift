import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// The network the DID and softphone-caller flow tests share (docs/dids.md,
/// docs/softphones.md): a customer trunk (carrier c1, interconnect i1 on
/// 10.0.0.0/24, ingress service s1), the retail platform (c9, interconnect
/// i9 with no address, ingress service s9), a supplier (c2, i2 at
/// 127.0.0.1:5080, egress service s2), and routing plan p1 sending every
/// "1…" number to s2. Each suite brings its own retail users, devices and
/// numbers.
enum RetailFlowFixture {
  typealias H = FlowHarness
  /// The registrar's domain.
  static let domain = "demo.test"
  /// The customer trunk's address (inside i1's 10.0.0.0/24).
  static let carrier = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)

  /// The shared trunks with `retail`; `retailRating` prices the retail
  /// service s9 (the calls its users pay for), none when nil.
  static func snapshot(retail: RetailDirectory, retailRating: RatingPlan? = nil) throws -> Snapshot {
    let customerTrunk = Interconnect(
      id: "i1", carrierID: "c1", name: "cust-in", direction: .ingress,
      addresses: [
        try InterconnectAddress.parse(ipAddress: "10.0.0.0/24", isRange: false, rangeEnd: nil, port: nil)
      ])
    // The retail platform: a customer carrier with an ingress interconnect
    // that has no address (identification never picks it).
    let retailTrunk = Interconnect(id: "i9", carrierID: "c9", name: "retail", direction: .ingress)
    let supplierTrunk = Interconnect(
      id: "i2", carrierID: "c2", name: "sup", direction: .egress, host: "127.0.0.1", sipPort: 5080)
    let services = [
      CarrierService(
        id: "s1", carrierID: "c1", interconnectID: "i1", name: "in", direction: .ingress, routingPlanID: "p1"),
      CarrierService(
        id: "s9", carrierID: "c9", interconnectID: "i9", name: "retail", direction: .ingress,
        ratingPlanID: retailRating?.id, routingPlanID: "p1"),
      CarrierService(id: "s2", carrierID: "c2", interconnectID: "i2", name: "out", direction: .egress),
    ]
    let plan = RoutingPlan(
      id: "p1", code: "P", name: "plan",
      entries: [RoutingPlanEntry(prefix: "1", routes: [EgressRoute(carrierServiceID: "s2")])])
    let carriers = [
      Carrier(id: "c1", code: "CUST", name: "Customer", partnerType: .customer, status: .active),
      Carrier(id: "c9", code: "RETAIL", name: "Retail", partnerType: .customer, status: .active),
      Carrier(id: "c2", code: "SUP", name: "Supplier", partnerType: .supplier, status: .active),
    ]
    return Snapshot(
      carriers: carriers, interconnects: [customerTrunk, retailTrunk, supplierTrunk], services: services,
      routingPlans: [plan], ratingPlans: retailRating.map { [$0] } ?? [], retail: retail)
  }

  /// Binds `contact` (`sip:USER@HOST:PORT`) to `user`'s address of record at
  /// the registrar, as a REGISTER from `source` that needs no challenge.
  static func register(
    _ registrar: Registrar?, user: String, contact: String, callID: String, source: Endpoint
  ) {
    _ = registrar?.register(
      Registrar.Request(
        requestURI: "sip:\(domain)", to: "<sip:\(user)@\(domain)>", contacts: ["<\(contact)>"],
        expires: 3600, callID: callID, cseq: 1, source: source),
      nowMs: 0)
  }

  /// The carrier hangs up the answered call `callID` (its From tag `ct1`,
  /// the callee's To tag `uastag`): its BYE, and the callee's 200 to the
  /// BYE the switch forwards.
  static func carrierHangsUp(_ h: FlowHarness, callID: String, branch: String? = nil) throws {
    h.deliver(
      H.inDialog(
        "BYE", callID: callID, branch: branch ?? "z9hG4bK-bye-\(callID)", fromTag: "ct1", toTag: "uastag",
        via: "SIP/2.0/UDP 10.0.0.5:5060"),
      from: carrier)
    let bye = try #require(h.sender.take().last { $0.message.method == .bye })
    h.deliver(
      H.response(to: bye.message, status: 200, reason: "OK", toTag: nil, recordRoute: false),
      from: bye.destination)
  }
}
