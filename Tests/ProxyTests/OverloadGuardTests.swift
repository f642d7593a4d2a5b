import Testing

@testable import Proxy

@Suite struct OverloadGuardTests {
  func note(_ throttle: inout LogThrottle, _ key: String, nowMs: Int64) -> LogThrottle.Verdict {
    throttle.note(key, nowMs: nowMs)
  }

  @Test func nothingIsShedWithTheLimitsOff() {
    let overload = OverloadGuard()
    for _ in 0..<100 { overload.observeLoop(lagMs: 10_000, busyPercent: 100) }
    #expect(!overload.isOverloaded)
    #expect((0..<1_000).allSatisfy { overload.shedCause(invite: "192.0.2.1", nowMs: Int64($0 / 100)) == nil })
    #expect(overload.answersUnknown("192.0.2.1", nowMs: 0))
  }

  @Test func aShortStallDoesNotShed() {
    let overload = OverloadGuard(settings: OverloadSettings(maxLoopLagMs: 200))
    // One 1-second stall among 10 ms samples is smoothed away.
    overload.observeLoop(lagMs: 1_000)
    #expect(!overload.isOverloaded)
    for _ in 0..<20 { overload.observeLoop(lagMs: 1) }
    #expect(!overload.isOverloaded)
    // A sustained lag sheds, and the change is reported once.
    var changes = 0
    for _ in 0..<30 where overload.observeLoop(lagMs: 500) { changes += 1 }
    #expect(overload.loopCause == .loopLag)
    #expect(changes == 1)
  }

  @Test func shedInvitesTakeNoRateTokens() {
    let overload = OverloadGuard(settings: OverloadSettings(maxLoopLagMs: 10, maxInvitesPerSecond: 1))
    for _ in 0..<40 { overload.observeLoop(lagMs: 100) }
    #expect(overload.shedCause(invite: "a", nowMs: 0) == .loopLag)
    for _ in 0..<80 { overload.observeLoop(lagMs: 0) }
    #expect(overload.shedCause(invite: "a", nowMs: 0) == nil)
    #expect(overload.shedCause(invite: "a", nowMs: 0) == .globalRate)
    #expect(overload.counters.shed == [.loopLag: 1, .globalRate: 1])
  }

  @Test func theLogThrottleCountsWhatItLeavesOut() {
    var throttle = LogThrottle(intervalMs: 1_000, capacity: 2)
    #expect(note(&throttle, "a", nowMs: 0) == .log(suppressed: 0))
    #expect(note(&throttle, "a", nowMs: 10) == .suppress)
    #expect(note(&throttle, "a", nowMs: 20) == .suppress)
    #expect(note(&throttle, "b", nowMs: 20) == .log(suppressed: 0))
    // The table is full of live keys: a flood of new keys shares one line per interval.
    #expect(note(&throttle, "c", nowMs: 30) == .log(suppressed: 0))
    #expect(note(&throttle, "d", nowMs: 40) == .suppress)
    #expect(note(&throttle, "a", nowMs: 1_000) == .log(suppressed: 2))
    #expect(throttle.trackedCount <= 3)
  }
}
