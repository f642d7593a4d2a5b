import Testing

@testable import Proxy

/// The headroom rule of `AdmissionController` (docs/overload.md): with the
/// loop thread's CPU share known, the limit grows by half the headroom to
/// `targetUtilization` per control step, and holds at or above it.
@Suite struct OverloadHeadroomTests {
  typealias A = OverloadAdmissionTests

  /// One control step at `load` with the loop's CPU share `utilization`.
  static func step(_ admission: inout AdmissionController, load: Double, utilization: Double) {
    for _ in 0..<admission.samplesPerStep { _ = admission.observe(load: load, utilization: utilization) }
  }

  @Test func aLoopWithHeadroomGrowsTheLimitByHalfOfIt() throws {
    var admission = A.limited(load: 1.5)
    let start = try #require(admission.limit)
    // At half the target: (0.92 - 0.46) / 0.46 / 2 = 1/2 more.
    Self.step(&admission, load: 0.9, utilization: AdmissionController.targetUtilization / 2)
    let grown = try #require(admission.limit)
    #expect(abs(grown - start * 1.5) < 0.001)
    // Nearly idle: at most twice as much per step.
    Self.step(&admission, load: 0.9, utilization: 0.01)
    #expect(abs((admission.limit ?? 0) - grown * 2) < 0.001)
  }

  @Test func atTheTargetTheLimitHoldsWhereTheOldRuleWouldProbe() throws {
    var admission = A.limited(load: 1.5)
    let start = try #require(admission.limit)
    for _ in 0..<20 { Self.step(&admission, load: 0.9, utilization: AdmissionController.targetUtilization) }
    #expect(admission.limit == start)
    // Without a CPU share the AIMD rules raise it, step by step.
    var blind = A.limited(load: 1.5)
    for _ in 0..<20 { A.step(&blind, load: 0.9) }
    #expect((blind.limit ?? 0) > start)
  }

  @Test func fromTheFloorAnIdleLoopIsBackAtItsRateWithinASecond() throws {
    // A flood cut the limit to its floor while the first backlog drained.
    var admission = A.limited(load: 1.5, minRate: 10)
    for _ in 0..<100 { _ = admission.observe(load: 4, latest: 4) }
    #expect(admission.limit == 10)
    // The loop is at 10 % now: ten steps (one second) take it past 5,000 a second.
    for _ in 0..<10 { Self.step(&admission, load: 0.9, utilization: 0.1) }
    #expect((admission.limit ?? 0) > 5_000)
  }

  /// A switch in service at 1,000 calls a second, half busy, flooded: the
  /// open window shows the flood's rate, the first limit is what the loop
  /// took before scaled to the target CPU share.
  static func flooded(utilization: Double?) -> AdmissionController {
    var admission = AdmissionController()
    for now in Int64(0)..<500 { admission.admit(nowMs: now) }
    for now in Int64(500)..<530 {
      for _ in 0..<20 { admission.admit(nowMs: now) }
    }
    _ = admission.observe(load: 0.9, latest: 1.5, backlog: true, utilization: utilization)
    return admission
  }

  @Test func aFloodOfASwitchInServiceStartsAtWhatTheLoopTookBefore() throws {
    let limit = try #require(Self.flooded(utilization: 0.5).limit)
    #expect(limit <= 1_000 * AdmissionController.targetUtilization / 0.5 * 1.1)
    #expect(limit >= 1_000)
    // Without the CPU share: half the flood's rate, far above what the loop takes.
    #expect((Self.flooded(utilization: nil).limit ?? 0) > 5_000)
    // A loop too idle to tell gives no estimate either.
    #expect((Self.flooded(utilization: 0.1).limit ?? 0) > 5_000)
  }

  @Test func withTheCPUShareKnownTheFirstCutIsDeep() throws {
    var admission = AdmissionController()
    for now in Int64(0)..<500 { admission.admit(nowMs: now) }
    _ = admission.observe(load: 1.1, utilization: 0.95)
    // Half the admitted rate; without the share, 1/1.1 of it.
    #expect(abs((admission.limit ?? 0) - 500) < 50)
    #expect(abs((A.limited(load: 1.1).limit ?? 0) - 1_000 / 1.1) < 50)
  }

  @Test func anOverflowStillCutsWhateverTheHeadroom() throws {
    var admission = A.limited(load: 1.5)
    let start = try #require(admission.limit)
    Self.step(&admission, load: 1.6, utilization: 0.2)
    #expect((admission.limit ?? .infinity) < start)
  }

  @Test func theGuardPassesTheLoopsLatestCPUShare() {
    let overload = OverloadGuard(settings: OverloadSettings(maxQueueDelayMs: 10))
    #expect(overload.loopUtilization == nil)
    overload.observeLoop(lagMs: 0, queueDelayMs: 0, cpuPercent: 46)
    #expect(overload.loopUtilization == 0.46)
    // Samples without a window's figure keep the last one.
    overload.observeLoop(lagMs: 0, queueDelayMs: 0)
    #expect(overload.loopUtilization == 0.46)
    overload.observeLoop(lagMs: 0, queueDelayMs: 0, cpuPercent: 130)
    #expect(overload.loopUtilization == 1)
  }
}
