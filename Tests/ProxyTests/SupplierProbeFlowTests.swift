import Logging
import Policy
import SIPCore
import Testing

@testable import Proxy

/// Supplier health in the proxy core (docs/operations.md): OPTIONS probes
/// from the tick, their outcomes, and routing skipping a trunk that is down.
@Suite struct SupplierProbeFlowTests {
  static let trunkA = Endpoint(transport: .udp, host: "192.0.2.10", port: 5080)

  /// CallPipelineTests' snapshot with probing on for trunk i2 (192.0.2.10:5080).
  static func snapshot() throws -> Snapshot {
    let base = try CallPipelineTests.snapshot()
    var interconnects = Array(base.interconnects.values)
    for index in interconnects.indices where interconnects[index].id == "i2" {
      interconnects[index].optionsProbe = true
      interconnects[index].optionsProbeIntervalSeconds = 1
    }
    return Snapshot(
      carriers: Array(base.carriers.values), interconnects: interconnects,
      services: Array(base.services.values),
      routingPlans: Array(base.routingPlans.values))
  }

  static func core(_ clock: ManualClock, _ sender: RecordingSender) throws -> ProxyCore {
    let configuration = ProxyConfiguration(
      localEndpoints: [FlowHarness.proxyUDP],
      health: SupplierHealthSettings(
        thresholds: HealthThresholds(failuresToDown: 2, successesToUp: 2), defaultIntervalMs: 30_000,
        timeoutMs: 500, roundMs: 100))
    return ProxyCore(
      configuration: configuration, sender: sender, clock: clock,
      router: CallPipeline(snapshot: try snapshot()),
      logger: Logger(label: "test"), processTag: "t1")
  }

  static func answer(_ probe: SIPMessage, _ status: Int) -> String {
    FlowHarness.response(to: probe, status: status, reason: status == 200 ? "OK" : "Oops", recordRoute: false)
  }

  func deliver(_ core: ProxyCore, _ text: String, from source: Endpoint) {
    let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    let decision = bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: true, source: source) }
    if case .response(let message) = decision {
      core.receive(message, from: source, local: FlowHarness.proxyUDP)
    }
  }

  @Test func probesMarkATrunkDownThenUpAgain() throws {
    let clock = ManualClock()
    let sender = RecordingSender()
    let core = try Self.core(clock, sender)
    core.tick()
    let first = sender.take()
    #expect(first.count == 1)
    let probe = try #require(first.first)
    #expect(probe.destination == Self.trunkA)
    #expect(probe.message.method == .options)
    #expect(probe.message.requestURIText == "sip:192.0.2.10:5080")
    #expect(probe.text.contains("Max-Forwards: 70"))
    // Answered 200: still up, next probe one interval (1 s) later.
    deliver(core, Self.answer(probe.message, 200), from: Self.trunkA)
    #expect(core.supplierHealth.states.first?.lastOutcome == "200")
    clock.advance(900)
    core.tick()
    #expect(sender.take().isEmpty)
    clock.advance(100)
    core.tick()
    let second = try #require(sender.take().first)
    // A 503 is a failure; then a probe nobody answers times out after 500 ms.
    deliver(core, Self.answer(second.message, 503), from: Self.trunkA)
    #expect(!core.supplierHealth.isDown("i2"))
    clock.advance(1000)
    core.tick()
    let third = try #require(sender.take().first { $0.message.method == .options })
    clock.advance(400)
    core.tick()
    #expect(!core.supplierHealth.isDown("i2"))
    clock.advance(100)
    core.tick()
    #expect(core.supplierHealth.isDown("i2"))
    #expect(core.supplierHealth.states.first?.lastOutcome == "timeout")
    // Its late answer changes nothing.
    deliver(core, Self.answer(third.message, 200), from: Self.trunkA)
    #expect(core.supplierHealth.isDown("i2"))
    // Two answered probes bring it back.
    for expectedDown in [true, false] {
      clock.advance(1000)
      core.tick()
      let next = try #require(sender.take().last { $0.message.method == .options })
      deliver(core, Self.answer(next.message, 200), from: Self.trunkA)
      #expect(core.supplierHealth.isDown("i2") == expectedDown)
    }
    #expect(core.supplierHealth.states.first?.changes == 2)
  }

  @Test func aTCPTrunkIsProbedOverTCP() throws {
    let base = try CallPipelineTests.snapshot()
    var interconnects = Array(base.interconnects.values)
    for index in interconnects.indices where interconnects[index].id == "i3" {
      interconnects[index].optionsProbe = true
    }
    let snapshot = Snapshot(
      carriers: Array(base.carriers.values), interconnects: interconnects,
      services: Array(base.services.values),
      routingPlans: Array(base.routingPlans.values))
    let sender = RecordingSender()
    let core = ProxyCore(
      configuration: ProxyConfiguration(localEndpoints: [FlowHarness.proxyUDP, FlowHarness.proxyTCP]),
      sender: sender, clock: ManualClock(), router: CallPipeline(snapshot: snapshot),
      logger: Logger(label: "test"),
      processTag: "t1")
    core.tick()
    let probe = try #require(sender.take().first)
    #expect(probe.destination == Endpoint(transport: .tcp, host: "192.0.2.11", port: 5082))
    #expect(probe.message.requestURIText == "sip:192.0.2.11:5082;transport=tcp")
    #expect(probe.text.contains("Via: SIP/2.0/TCP 127.0.0.1:5070;branch="))
    // Never probed again while one is in flight; the default interval is 30 s.
    core.tick()
    #expect(sender.take().isEmpty)
  }

  @Test func routingSkipsADownTrunkWithNoWait() throws {
    let health = SupplierHealth(thresholds: HealthThresholds(failuresToDown: 1, successesToUp: 1))
    health.update(
      targets: [
        ProbeTarget(interconnectID: "i2", carrierID: "c2", destination: Self.trunkA, intervalMs: 1000)
      ],
      nowMs: 0)
    _ = health.due(nowMs: 0)
    health.record("i2", .transportError)
    let pipeline = CallPipeline(snapshot: try CallPipelineTests.snapshot())
    let context = RouteContext(nowMs: 0, liveCalls: LiveCalls(), cps: CPSLimiter(), supplierHealth: health)
    guard
      case .route(let call) = pipeline.route(
        invite: try CallPipelineTests.invite(user: "774420"), source: CallPipelineTests.customerSource,
        context: context)
    else {
      Issue.record("not routed")
      return
    }
    #expect(call.targets.map(\.destination.description) == ["tcp:192.0.2.11:5082"])
    // With both trunks down no route is left: refused at once.
    health.update(
      targets: [
        ProbeTarget(interconnectID: "i2", carrierID: "c2", destination: Self.trunkA, intervalMs: 1000),
        ProbeTarget(interconnectID: "i3", carrierID: "c2", destination: Self.trunkA, intervalMs: 1000),
      ], nowMs: 0)
    _ = health.due(nowMs: 0)
    health.record("i3", .timedOut)
    guard
      case .refuse(let refusal) = pipeline.route(
        invite: try CallPipelineTests.invite(user: "774420"), source: CallPipelineTests.customerSource,
        context: context)
    else {
      Issue.record("routed")
      return
    }
    #expect(refusal.status >= 400)
  }
}
