import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// The pipeline's policy steps against an in-memory snapshot: a customer
/// (i1, 10.0.0.0/24) routed by prefix 44 to two supplier trunks (i2, i3).
@Suite struct CallPipelinePolicyTests {
  static let source = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)
  static let sdp =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
    + "m=audio 6000 RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    + "a=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"

  struct World {
    var customer = InterconnectPolicy()
    var supplierA = InterconnectPolicy()
    var supplierB = InterconnectPolicy()
    var ingressCapacity: Int?
    var trunkACapacity: Int?
    var serviceRate: CallRateLimit?
    /// The customer also has an egress trunk (i4) on the route, first.
    var customerEgress = false
    var circularRouting = false

    func snapshot() throws -> Snapshot {
      let customer = Carrier(
        id: "c1", code: "CUST", name: "Customer", partnerType: .bilateral, status: .active,
        circularRouting: circularRouting)
      let supplier = Carrier(id: "c2", code: "SUP", name: "Supplier", partnerType: .supplier, status: .active)
      let ingress = Interconnect(
        id: "i1", carrierID: "c1", name: "in", direction: .ingress,
        capacityMode: ingressCapacity == nil ? .unrestricted : .capped, capacityLimit: ingressCapacity,
        addresses: [
          try InterconnectAddress.parse(ipAddress: "10.0.0.0/24", isRange: false, rangeEnd: nil, port: nil)
        ])
      let trunkA = Interconnect(
        id: "i2", carrierID: "c2", name: "a", direction: .egress, host: "192.0.2.10", sipPort: 5080,
        capacityMode: trunkACapacity == nil ? .unrestricted : .capped, capacityLimit: trunkACapacity)
      let trunkB = Interconnect(id: "i3", carrierID: "c2", name: "b", direction: .egress, host: "192.0.2.11")
      let ownTrunk = Interconnect(
        id: "i4", carrierID: "c1", name: "own", direction: .egress, host: "192.0.2.12")
      var routes = [
        EgressRoute(carrierServiceID: "s2", priority: 1), EgressRoute(carrierServiceID: "s3", priority: 2),
      ]
      if customerEgress { routes.insert(EgressRoute(carrierServiceID: "s4", priority: 0), at: 0) }
      let services = [
        CarrierService(
          id: "s1", carrierID: "c1", interconnectID: "i1", name: "in", direction: .ingress,
          routingPlanID: "p1",
          callRate: serviceRate),
        CarrierService(id: "s2", carrierID: "c2", interconnectID: "i2", name: "a", direction: .egress),
        CarrierService(id: "s3", carrierID: "c2", interconnectID: "i3", name: "b", direction: .egress),
        CarrierService(id: "s4", carrierID: "c1", interconnectID: "i4", name: "own", direction: .egress),
      ]
      let plan = RoutingPlan(
        id: "p1", code: "P", name: "plan", failoverCodes: [],
        entries: [
          RoutingPlanEntry(prefix: "44", routes: routes)
        ])
      return Snapshot(
        carriers: [customer, supplier], interconnects: [ingress, trunkA, trunkB, ownTrunk],
        services: services,
        routingPlans: [plan], policies: ["i1": self.customer, "i2": supplierA, "i3": supplierB])
    }
  }

  static func invite(
    _ user: String = "4420", from: String = "<sip:+15550001@10.0.0.5>;tag=a", headers: [String] = [],
    body: Bool = false
  ) throws -> SIPMessage {
    var lines = [
      "INVITE sip:\(user)@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1",
      "From: \(from)", "To: <sip:\(user)@127.0.0.1>", "Call-ID: c-1", "CSeq: 1 INVITE",
      "Contact: <sip:trunk@10.0.0.5:5060>", "Max-Forwards: 70",
    ]
    lines += headers
    if body { lines.append("Content-Type: application/sdp") }
    lines += ["Content-Length: \(body ? sdp.utf8.count : 0)", ""]
    let text = lines.joined(separator: "\r\n") + "\r\n" + (body ? sdp : "")
    return try SIPMessage.parse(Array(text.utf8))
  }

  final class Route {
    let pipeline: CallPipeline
    let live = LiveCalls()
    let cps = CPSLimiter()
    var nowMs: Int64 = 0

    init(_ world: World) throws { pipeline = CallPipeline(snapshot: try world.snapshot()) }

    func callAt(_ invite: SIPMessage) -> RouteDecision {
      pipeline.route(
        invite: invite, source: CallPipelinePolicyTests.source,
        context: RouteContext(nowMs: nowMs, liveCalls: live, cps: cps))
    }
  }

  static func routed(_ decision: RouteDecision) throws -> RoutedCall {
    guard case .route(let call) = decision else { throw Unrouted(decision: decision) }
    return call
  }

  struct Unrouted: Error { let decision: RouteDecision }

  static func validation(
    from: String? = nil, contact: String? = nil, trunkGroup: String? = nil, test: String? = nil
  )
    throws -> ValidationSettings
  {
    try ValidationSettings.parse(
      fromURI: from, contactURI: contact, trunkGroup: trunkGroup, testSystemControl: test)
  }

  // MARK: Validation

  @Test(arguments: [
    ("<sip:+15550001@10.0.0.5>;tag=a", false), ("<sip:+445550001@10.0.0.5>;tag=a", true),
  ])
  func fromPattern(from: String, refused: Bool) throws {
    var world = World()
    world.customer.validation = try Self.validation(from: #"^sip:\+1"#)
    let decision = try Route(world).callAt(try Self.invite(from: from))
    #expect((decision == .reject(status: 403, reason: "From URI Not Allowed")) == refused)
  }

  @Test func trunkGroupInTheRequestURIIsCheckedAndStripped() throws {
    var world = World()
    world.customer.validation = try Self.validation(trunkGroup: "TG7")
    let route = try Route(world)
    #expect(route.callAt(try Self.invite("4420")) == .reject(status: 403, reason: "Trunk Group Mismatch"))
    let call = try Self.routed(route.callAt(try Self.invite("4420;tgrp=TG7;trunk-context=example.net")))
    #expect(call.calledNumber == "4420")
    #expect(call.targets.first?.requestURIUser == "4420")
  }

  @Test func testCallsOnly() throws {
    var world = World()
    world.customer.validation = try Self.validation(test: "only")
    let route = try Route(world)
    #expect(route.callAt(try Self.invite()) == .reject(status: 403, reason: "Test Calls Only"))
    _ = try Self.routed(route.callAt(try Self.invite(headers: ["X-Test-Call: 1"])))
  }

  // MARK: Limits

  @Test func interconnectCPSRefusesWithRetryAfterAndRefills() throws {
    var world = World()
    world.customer.callRate = CallRateLimit(rate: 2, burst: 2)
    let route = try Route(world)
    _ = try Self.routed(route.callAt(try Self.invite()))
    _ = try Self.routed(route.callAt(try Self.invite()))
    guard case .refuse(let refusal) = route.callAt(try Self.invite()) else {
      Issue.record("third call admitted")
      return
    }
    #expect(refusal.status == 503)
    #expect(refusal.reason == "Interconnect CPS Limit Exceeded")
    #expect(refusal.kind == .callRate)
    #expect(refusal.headers == [HeaderField("Retry-After", "1")])
    // Two a second: one token back after 500 ms, not two.
    route.nowMs = 500
    _ = try Self.routed(route.callAt(try Self.invite()))
    guard case .refuse = route.callAt(try Self.invite()) else {
      Issue.record("a second token after 500 ms")
      return
    }
  }

  @Test func serviceCPS() throws {
    var world = World()
    world.serviceRate = CallRateLimit(rate: 1)
    let route = try Route(world)
    _ = try Self.routed(route.callAt(try Self.invite()))
    guard case .refuse(let refusal) = route.callAt(try Self.invite()) else {
      Issue.record("second call admitted")
      return
    }
    #expect(refusal.reason == "Service CPS Limit Exceeded")
  }

  @Test func ingressCapacityCountsLiveCalls() throws {
    var world = World()
    world.ingressCapacity = 1
    let route = try Route(world)
    _ = try Self.routed(route.callAt(try Self.invite()))
    route.live.add(1, ingress: CarrierLeg(carrierID: "c1", interconnectID: "i1", serviceID: "s1"))
    guard case .refuse(let refusal) = route.callAt(try Self.invite()) else {
      Issue.record("over capacity admitted")
      return
    }
    #expect(refusal.reason == "Interconnect At Capacity")
    #expect(refusal.kind == .capacity)
    route.live.remove(1)
    route.live.remove(1)
    #expect(route.live.calls(interconnect: "i1") == 0)
    _ = try Self.routed(route.callAt(try Self.invite()))
  }

  @Test func aSupplierAtCapacityIsSkipped() throws {
    var world = World()
    world.trunkACapacity = 0
    let call = try Self.routed(try Route(world).callAt(try Self.invite()))
    #expect(call.targets.map(\.egress?.interconnectID) == ["i3"])
  }

  @Test(arguments: [false, true])
  func circularRouting(allowed: Bool) throws {
    var world = World()
    world.customerEgress = true
    world.circularRouting = allowed
    let call = try Self.routed(try Route(world).callAt(try Self.invite()))
    #expect(call.targets.map(\.egress?.interconnectID) == (allowed ? ["i4", "i2", "i3"] : ["i2", "i3"]))
  }

  // MARK: Signalling

  @Test func required100relIsRefusedAndSupportedIsTrimmed() throws {
    var world = World()
    world.customer.signalling = SignallingSettings(reliableProvisional: false)
    let route = try Route(world)
    guard case .refuse(let refusal) = route.callAt(try Self.invite(headers: ["Require: 100rel"])) else {
      Issue.record("routed")
      return
    }
    #expect(refusal.status == 420)
    #expect(refusal.headers == [HeaderField("Unsupported", "100rel")])
    let call = try Self.routed(route.callAt(try Self.invite(headers: ["Supported: timer, 100rel"])))
    #expect(call.edits.headers == [.set("Supported", "timer")])
  }

  @Test func sessionTimerTooSmallIs422AndMissingIsInserted() throws {
    var world = World()
    world.customer.signalling = SignallingSettings(
      sessionTimer: try SessionTimerPolicy(interval: 1800), reliableProvisional: true)
    let route = try Route(world)
    guard
      case .refuse(let refusal) = route.callAt(
        try Self.invite(headers: ["Supported: timer", "Session-Expires: 60"]))
    else {
      Issue.record("routed")
      return
    }
    #expect(refusal.status == 422)
    #expect(refusal.headers == [HeaderField("Min-SE", "90")])
    let call = try Self.routed(route.callAt(try Self.invite()))
    #expect(call.edits.headers.contains(.set("Session-Expires", "1800")))
    #expect(call.policy.sessionTimer)
  }

  // MARK: Translation and identity

  @Test func translationOnBothSidesAndTheNumbersKept() throws {
    var world = World()
    world.customer.translation = try TranslationSettings.parse(
      originationPreference: nil, originationValidation: nil, setPAIHeader: nil, global: nil,
      origin: "prefix:+ strip:1", destination: #"/^0(\d+)$/44$1/"#)
    world.supplierA.translation = try TranslationSettings.parse(
      originationPreference: nil, originationValidation: nil, setPAIHeader: nil, global: nil,
      origin: "prefix: add:00",
      destination: "prefix:44 strip:2 add:0044")
    let call = try Self.routed(try Route(world).callAt(try Self.invite("020")))
    #expect(call.calledNumber == "4420")
    #expect(call.callerNumber == "15550001")
    let a = try #require(call.targets.first)
    #expect(a.requestURIUser == "004420")
    #expect(a.edits.from == .user("0015550001"))
    #expect(call.targets.last?.requestURIUser == "4420")
    #expect(call.targets.last?.edits.from == .user("15550001"))
  }

  @Test func anInvalidCallerIsRefusedWhenTheSettingsSaySo() throws {
    var world = World()
    world.customer.translation = try TranslationSettings.parse(
      originationPreference: nil, originationValidation: "reject", setPAIHeader: nil, global: nil,
      origin: nil,
      destination: nil)
    let route = try Route(world)
    #expect(
      route.callAt(try Self.invite(from: "<sip:abc@10.0.0.5>;tag=a"))
        == .reject(status: 403, reason: "Invalid Caller Number"))
    _ = try Self.routed(route.callAt(try Self.invite()))
  }

  @Test func privacyIdTowardsAnUntrustedSupplierAnonymisesFrom() throws {
    var world = World()
    world.supplierA.privacyMethod = PrivacyMethod.none
    let call = try Self.routed(
      try Route(world).callAt(
        try Self.invite(headers: ["Privacy: id", "P-Asserted-Identity: <sip:+15550001@x>"])))
    let a = try #require(call.targets.first)
    #expect(a.edits.from == .anonymous)
    #expect(a.edits.headers.contains(.remove("P-Asserted-Identity")))
  }

  // MARK: Codecs

  @Test func theOfferIsFilteredForTheCustomerAndPerSupplier() throws {
    var world = World()
    world.customer.codecs = CodecPolicy(rules: [
      CodecRule(name: "PCMA", displayOrder: 1), CodecRule(name: "G729", displayOrder: 2),
      CodecRule(name: "telephone-event", displayOrder: 3),
    ])
    world.supplierA.codecs = CodecPolicy(rules: [CodecRule(name: "G729")])
    let call = try Self.routed(try Route(world).callAt(try Self.invite(body: true)))
    guard case .replace(let common, _)? = call.edits.body,
      case .replace(let forA, _)? = call.targets.first?.edits.body
    else {
      Issue.record("no body edits")
      return
    }
    #expect(SessionDescription(bytes: common)?.media.first?.formats == ["8", "18", "101"])
    #expect(SessionDescription(bytes: forA)?.media.first?.formats == ["18"])
    #expect(call.targets.last?.edits.body == nil)
  }

  @Test func noCommonCodecIs488() throws {
    var world = World()
    world.customer.codecs = CodecPolicy(rules: [CodecRule(name: "G722")])
    #expect(
      try Route(world).callAt(try Self.invite(body: true)) == .reject(status: 488, reason: "No Common Codec"))
  }

  @Test func suppliersWithoutACommonCodecAreSkippedThen488() throws {
    var world = World()
    world.supplierA.codecs = CodecPolicy(rules: [CodecRule(name: "G722")])
    let route = try Route(world)
    #expect(
      try Self.routed(route.callAt(try Self.invite(body: true))).targets.map(\.egress?.interconnectID) == [
        "i3"
      ])
    world.supplierB.codecs = CodecPolicy(rules: [CodecRule(name: "opus")])
    #expect(
      try Route(world).callAt(try Self.invite(body: true)) == .reject(status: 488, reason: "No Common Codec"))
  }

  // MARK: What the core enforces

  @Test func callAndTargetPoliciesComeFromBothInterconnects() throws {
    var world = World()
    world.customer.signalling = SignallingSettings(
      maxCallDurationSeconds: 3600, earlyMedia: false, reliableProvisional: true,
      releaseCauses: try ReleaseCauseMapping(parsingJSON: #"{"503": 486}"#))
    world.supplierA.signalling = SignallingSettings(
      maxCallDurationSeconds: 60, reliableProvisional: true,
      releaseCauses: try ReleaseCauseMapping(parsingJSON: #"{"403": 503}"#))
    let call = try Self.routed(try Route(world).callAt(try Self.invite()))
    #expect(call.policy.maxDurationMs == 3_600_000)
    #expect(!call.policy.earlyMedia)
    #expect(call.policy.releaseCauses.map(503).status == 486)
    let a = try #require(call.targets.first)
    #expect(a.policy.maxDurationMs == 60_000)
    #expect(a.policy.releaseCauses.map(403).status == 503)
    #expect(call.targets.last?.policy.maxDurationMs == nil)
  }
}
