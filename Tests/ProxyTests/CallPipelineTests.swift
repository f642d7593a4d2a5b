import Policy
import Proxy
import Routing
import SIPCore
import Testing

/// The softswitch pipeline against a small in-memory snapshot: a customer on
/// 10.0.0.0/24 with tech prefix 77, a supplier with two trunks.
@Suite struct CallPipelineTests {
  static let customer = Carrier(
    id: "c1", code: "CUST", name: "Customer", partnerType: .customer, status: .active)
  static let supplier = Carrier(
    id: "c2", code: "SUP", name: "Supplier", partnerType: .supplier, status: .active)

  static func snapshot(
    supplierStatus: RouteStatus = .active, secondTrunkActive: Bool = true, entries: [RoutingPlanEntry]? = nil
  ) throws -> Snapshot {
    let ingress = Interconnect(
      id: "i1", carrierID: "c1", name: "cust-in", direction: .ingress, techPrefix: "77",
      addresses: [
        try InterconnectAddress.parse(ipAddress: "10.0.0.0/24", isRange: false, rangeEnd: nil, port: nil)
      ])
    let trunkA = Interconnect(
      id: "i2", carrierID: "c2", name: "sup-a", direction: .egress, host: "192.0.2.10", sipPort: 5080)
    let trunkB = Interconnect(
      id: "i3", carrierID: "c2", name: "sup-b", direction: .egress, isActive: secondTrunkActive,
      host: "192.0.2.11", sipPort: 5082, transport: .tcp)
    let services = [
      CarrierService(
        id: "s1", carrierID: "c1", interconnectID: "i1", name: "in", direction: .ingress, routingPlanID: "p1"),
      CarrierService(
        id: "s2", carrierID: "c2", interconnectID: "i2", name: "a", direction: .egress, techPrefix: "9#"),
      CarrierService(id: "s3", carrierID: "c2", interconnectID: "i3", name: "b", direction: .egress),
    ]
    let plan = RoutingPlan(
      id: "p1", code: "P", name: "plan", failoverCodes: [404],
      entries: entries ?? [
        RoutingPlanEntry(
          prefix: "44",
          routes: [
            EgressRoute(carrierServiceID: "s3", priority: 2),
            EgressRoute(carrierServiceID: "s2", priority: 1),
          ]),
        RoutingPlanEntry(prefix: "441", routes: [EgressRoute(carrierServiceID: "s3")], failoverCodes: [486]),
      ])
    var supplier = Self.supplier
    supplier.status = supplierStatus
    return Snapshot(
      carriers: [customer, supplier], interconnects: [ingress, trunkA, trunkB], services: services,
      routingPlans: [plan])
  }

  static func invite(user: String) throws -> SIPMessage {
    let text = [
      "INVITE sip:\(user)@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1",
      "From: <sip:15550001@10.0.0.5>;tag=a", "To: <sip:\(user)@127.0.0.1>", "Call-ID: c-1", "CSeq: 1 INVITE",
      "Max-Forwards: 70", "Content-Length: 0", "", "",
    ].joined(separator: "\r\n")
    let decision = Array(text.utf8).withUnsafeBytes {
      InboundDecoder().decode($0, isDatagram: true, source: customerSource)
    }
    guard case .request(let message) = decision else { throw PipelineTestError.notARequest }
    return message
  }

  enum PipelineTestError: Error { case notARequest }

  static let customerSource = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)

  func route(_ user: String, from source: Endpoint = customerSource, snapshot: Snapshot? = nil) throws
    -> RouteDecision
  {
    try CallPipeline(snapshot: snapshot ?? Self.snapshot()).route(
      invite: Self.invite(user: user), source: source,
      context: RouteContext(nowMs: 0, liveCalls: LiveCalls(), cps: CPSLimiter()))
  }

  @Test func longestPrefixInPriorityOrderWithTechPrefixes() throws {
    guard case .route(let call) = try route("774420") else {
      Issue.record("not routed")
      return
    }
    #expect(call.targets.map(\.destination.description) == ["udp:192.0.2.10:5080", "tcp:192.0.2.11:5082"])
    #expect(call.targets.map(\.requestURIUser) == ["9#4420", "4420"])
    #expect(call.targets.first?.egress == CarrierLeg(carrierID: "c2", interconnectID: "i2", serviceID: "s2"))
    #expect(call.ingress == CarrierLeg(carrierID: "c1", interconnectID: "i1", serviceID: "s1"))
    #expect(call.calledNumber == "4420")
    #expect(call.callerNumber == "15550001")
    #expect(call.extraFailoverStatuses == [404])
  }

  @Test func longerPrefixWinsWithItsOwnFailoverCodes() throws {
    guard case .route(let call) = try route("77441") else {
      Issue.record("not routed")
      return
    }
    #expect(call.targets.map(\.egress?.serviceID) == ["s3"])
    #expect(call.failsOver(on: 486))
    #expect(!call.failsOver(on: 404))
  }

  @Test func unknownSourceIs403() throws {
    let stranger = Endpoint(transport: .udp, host: "10.0.1.5", port: 5060)
    #expect(try route("774420", from: stranger) == .reject(status: 403, reason: "Unknown Interconnect"))
  }

  @Test func missingTechPrefixIs403() throws {
    #expect(try route("4420") == .reject(status: 403, reason: "Unknown Interconnect"))
  }

  @Test func noPrefixIs404() throws {
    #expect(try route("7733") == .reject(status: 404, reason: "No Route"))
  }

  @Test func anIngressServiceWhosePlanIsNotLoadedIs403() throws {
    let full = try Self.snapshot()
    let planless = Snapshot(
      carriers: Array(full.carriers.values), interconnects: Array(full.interconnects.values),
      services: Array(full.services.values), routingPlans: [])
    #expect(try route("774420", snapshot: planless) == .reject(status: 403, reason: "No Routing Plan"))
    // Identification still comes first.
    let stranger = Endpoint(transport: .udp, host: "10.0.1.5", port: 5060)
    #expect(
      try route("774420", from: stranger, snapshot: planless)
        == .reject(status: 403, reason: "Unknown Interconnect"))
  }

  @Test func inactiveTrunksAndPausedCarriersAreSkipped() throws {
    guard case .route(let call) = try route("774420", snapshot: Self.snapshot(secondTrunkActive: false))
    else {
      Issue.record("not routed")
      return
    }
    #expect(call.targets.map(\.egress?.serviceID) == ["s2"])
    #expect(
      try route("774420", snapshot: Self.snapshot(supplierStatus: .paused))
        == .reject(status: 503, reason: "No Available Route"))
  }

  @Test func testingSupplierTakesOnlyItsOwnCalls() throws {
    #expect(
      try route("774420", snapshot: Self.snapshot(supplierStatus: .testing))
        == .reject(status: 503, reason: "No Available Route"))
  }
}
