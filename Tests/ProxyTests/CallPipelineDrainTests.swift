import Policy
import Proxy
import SIPCore
import Testing

/// Trunks an operator drained (admin API, docs/admin.md): a drained ingress
/// interconnect or service is refused with 503, a drained egress one is
/// skipped like an inactive trunk; the others are untouched.
@Suite struct CallPipelineDrainTests {
  typealias T = CallPipelineTests

  func route(_ user: String, drained: Set<String>) throws -> RouteDecision {
    try CallPipeline(snapshot: T.snapshot()).route(
      invite: T.invite(user: user), source: T.customerSource,
      context: RouteContext(
        nowMs: 0, liveCalls: LiveCalls(), cps: CPSLimiter(), drained: DrainedTrunks(drained)))
  }

  @Test func aDrainedIngressInterconnectOrServiceIsRefusedWith503() throws {
    #expect(try route("774420", drained: ["i1"]) == .reject(status: 503, reason: "Interconnect Drained"))
    #expect(try route("774420", drained: ["s1"]) == .reject(status: 503, reason: "Interconnect Drained"))
  }

  @Test func aDrainedEgressTrunkIsSkippedAndTheNextOneTakesTheCall() throws {
    guard case .route(let call) = try route("774420", drained: ["i2"]) else {
      Issue.record("not routed")
      return
    }
    #expect(call.targets.map(\.egress?.serviceID) == ["s3"])
    guard case .route(let byService) = try route("774420", drained: ["s3"]) else {
      Issue.record("not routed")
      return
    }
    #expect(byService.targets.map(\.egress?.serviceID) == ["s2"])
    #expect(try route("774420", drained: ["i2", "i3"]) == .reject(status: 503, reason: "No Available Route"))
  }

  @Test func nothingDrainedRoutesAsBefore() throws {
    guard case .route(let call) = try route("774420", drained: []) else {
      Issue.record("not routed")
      return
    }
    #expect(call.targets.map(\.egress?.serviceID) == ["s2", "s3"])
  }
}
