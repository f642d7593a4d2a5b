import SIPCore
import Testing

@testable import Policy

/// The supplier health state machine (docs/operations.md, "Supplier health")
/// and the table that schedules probes and says who routing skips.
@Suite struct SupplierHealthTests {
  static let ok = ProbeOutcome.answered(status: 200)

  @Test func outcomesOfFinalStatuses() {
    #expect(ProbeOutcome.response(200).isSuccess)
    #expect(ProbeOutcome.response(404).isSuccess)
    #expect(ProbeOutcome.response(405).isSuccess)
    #expect(ProbeOutcome.response(603).isSuccess)
    #expect(!ProbeOutcome.response(408).isSuccess)
    #expect(!ProbeOutcome.response(500).isSuccess)
    #expect(!ProbeOutcome.response(503).isSuccess)
    #expect(!ProbeOutcome.timedOut.isSuccess)
    #expect(!ProbeOutcome.transportError.isSuccess)
    #expect(ProbeOutcome.timedOut.text == "timeout")
    #expect(ProbeOutcome.response(503).text == "503")
  }

  @Test func downAfterNFailuresInARowUpAfterMSuccesses() {
    var health = InterconnectHealth(thresholds: HealthThresholds(failuresToDown: 3, successesToUp: 2))
    #expect(health.state == .up)
    #expect(health.record(.timedOut) == nil)
    #expect(health.record(.refused(status: 503)) == nil)
    let down = health.record(.transportError)
    #expect(down == .init(from: .up, to: .down, outcome: .transportError))
    #expect(health.isDown)
    // Further failures change nothing; one success is not enough.
    #expect(health.record(.timedOut) == nil)
    #expect(health.record(Self.ok) == nil)
    #expect(health.isDown)
    #expect(health.record(Self.ok) == .init(from: .down, to: .up, outcome: Self.ok))
    #expect(!health.isDown)
    #expect(health.consecutiveSuccesses == 2)
  }

  @Test func aSuccessBetweenFailuresStartsTheCountAgain() {
    var health = InterconnectHealth(thresholds: HealthThresholds(failuresToDown: 2, successesToUp: 2))
    for _ in 0..<10 {
      #expect(health.record(.timedOut) == nil)
      #expect(health.record(Self.ok) == nil)
    }
    #expect(health.state == .up)
    var recovering = InterconnectHealth(thresholds: HealthThresholds(failuresToDown: 1, successesToUp: 3))
    #expect(recovering.record(.timedOut)?.to == .down)
    for _ in 0..<5 {
      #expect(recovering.record(Self.ok) == nil)
      #expect(recovering.record(Self.ok) == nil)
      #expect(recovering.record(.timedOut) == nil)
    }
    #expect(recovering.isDown)
  }

  @Test func thresholdsAreAtLeastOne() {
    let thresholds = HealthThresholds(failuresToDown: 0, successesToUp: -2)
    #expect(thresholds.failuresToDown == 1)
    #expect(thresholds.successesToUp == 1)
  }

  static func target(_ id: String, intervalMs: Int64 = 1000) -> ProbeTarget {
    ProbeTarget(
      interconnectID: id, carrierID: "c-\(id)",
      destination: Endpoint(transport: .udp, host: "127.0.0.1", port: 5090),
      intervalMs: intervalMs)
  }

  @Test func schedulesOneProbeInFlightPerInterconnect() {
    let table = SupplierHealth(thresholds: HealthThresholds(failuresToDown: 2, successesToUp: 1))
    table.update(targets: [Self.target("a", intervalMs: 1000), Self.target("b", intervalMs: 3000)], nowMs: 0)
    #expect(table.due(nowMs: 0).map(\.interconnectID) == ["a", "b"])
    // In flight: not due again, even after its interval.
    #expect(table.due(nowMs: 1500).isEmpty)
    table.record("a", Self.ok)
    #expect(table.due(nowMs: 1500).map(\.interconnectID) == ["a"])
    // b's probe times out at the timeout, not before.
    #expect(table.expired(nowMs: 1999, timeoutMs: 2000).isEmpty)
    let expired = table.expired(nowMs: 2000, timeoutMs: 2000)
    #expect(expired.map(\.0) == ["b"])
    #expect(expired.first?.1 == nil)
    #expect(table.downInterconnects.isEmpty)
    #expect(table.expired(nowMs: 3500, timeoutMs: 2000).map(\.0) == ["a"])
    #expect(table.due(nowMs: 3500).map(\.interconnectID) == ["a", "b"])
    let second = table.expired(nowMs: 5500, timeoutMs: 2000)
    #expect(second.map(\.0) == ["a", "b"])
    #expect(second.allSatisfy { $0.1?.to == .down })
    #expect(table.isDown("a") && table.isDown("b"))
    // A result with no probe in flight is ignored.
    #expect(table.record("a", Self.ok) == nil)
    #expect(table.isDown("a"))
  }

  @Test func reloadKeepsStateAndForgetsDroppedInterconnects() {
    let table = SupplierHealth(thresholds: HealthThresholds(failuresToDown: 1, successesToUp: 1))
    table.update(targets: [Self.target("a"), Self.target("b")], nowMs: 0)
    _ = table.due(nowMs: 0)
    table.record("a", .refused(status: 503))
    table.record("b", Self.ok)
    #expect(table.downInterconnects == ["a"])
    table.update(targets: [Self.target("a", intervalMs: 5000)], nowMs: 10)
    #expect(table.isDown("a"))
    #expect(table.states.map(\.interconnectID) == ["a"])
    table.update(targets: [Self.target("b")], nowMs: 20)
    #expect(!table.isDown("a"))
    #expect(table.downInterconnects.isEmpty)
    let state = table.states.first
    #expect(state?.interconnectID == "b")
    #expect(state?.state == .up)
  }

  @Test func statesCountProbesAndChanges() {
    let table = SupplierHealth(thresholds: HealthThresholds(failuresToDown: 1, successesToUp: 1))
    table.update(targets: [Self.target("a")], nowMs: 0)
    _ = table.due(nowMs: 0)
    table.record("a", .timedOut)
    _ = table.due(nowMs: 1000)
    table.record("a", Self.ok)
    let state = table.states[0]
    #expect(state.probesSent == 2)
    #expect(state.probesFailed == 1)
    #expect(state.changes == 2)
    #expect(state.lastOutcome == "200")
    #expect(state.carrierID == "c-a")
  }

  @Test func targetsAreActiveEgressInterconnectsWithProbingOn() {
    let interconnects = [
      Interconnect(
        id: "e", carrierID: "c", name: "e", direction: .egress, host: "10.0.0.1", optionsProbe: true,
        optionsProbeIntervalSeconds: 7),
      Interconnect(
        id: "d", carrierID: "c", name: "d", direction: .both, host: "10.0.0.2", optionsProbe: true),
      Interconnect(id: "off", carrierID: "c", name: "off", direction: .egress, host: "10.0.0.3"),
      Interconnect(
        id: "in", carrierID: "c", name: "in", direction: .ingress, host: "10.0.0.4", optionsProbe: true),
      Interconnect(
        id: "idle", carrierID: "c", name: "idle", direction: .egress, isActive: false, host: "10.0.0.5",
        optionsProbe: true),
      Interconnect(id: "nohost", carrierID: "c", name: "nohost", direction: .egress, optionsProbe: true),
    ]
    let targets = ProbeTarget.targets(interconnects, defaultIntervalMs: 30_000)
    #expect(targets.map(\.interconnectID) == ["d", "e"])
    #expect(targets.map(\.intervalMs) == [30_000, 7000])
    #expect(targets[1].destination == Endpoint(transport: .udp, host: "10.0.0.1", port: 5060))
  }
}
