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

  @Test func aStallUnderLightTrafficDoesNotShedButABacklogOfNewCallsDoesAtOnce() {
    let overload = OverloadGuard(settings: OverloadSettings(maxQueueDelayMs: 10))
    // One sample at three times the limit with a few new calls queued (a
    // stall of the loop): the smoothed signal decides, and it is not over.
    overload.observeLoop(lagMs: 0, queueDelayMs: 30, queuedNewCalls: OverloadGuard.backlogToStart - 1)
    #expect(!overload.isOverloaded)
    for _ in 0..<20 { overload.observeLoop(lagMs: 0, queueDelayMs: 0) }
    // The same sample with a backlog (a flood's first milliseconds): limiting starts now.
    let changed = overload.observeLoop(
      lagMs: 0, queueDelayMs: 30, queuedNewCalls: OverloadGuard.backlogToStart)
    #expect(changed)
    #expect(overload.isOverloaded)
    #expect(overload.loopCause == .queueDelay)
  }

  @Test func whileLimitedAnInviteThatWaitedTooLongIsShedWhateverTheRate() {
    let overload = OverloadGuard(
      settings: OverloadSettings(maxQueueDelayMs: 10, maxInviteWaitMs: 30, minInvitesPerSecond: 1_000))
    // Not limited: a late INVITE is taken (a stall is not an overload).
    overload.inviteWaitUs = 31_000
    #expect(overload.shedCause(invite: "a", nowMs: 0) == nil)
    for _ in 0..<40 { overload.observeLoop(lagMs: 0, queueDelayMs: 50) }
    #expect(overload.isOverloaded)
    // Limited: the bucket starts empty, then fills at the limit's rate.
    overload.inviteWaitUs = 30_000
    #expect(overload.shedCause(invite: "a", nowMs: 1_000) == .queueDelay)
    // With tokens there, the one that waited 31 ms is shed, the one that
    // waited 30 is taken.
    overload.inviteWaitUs = 31_000
    #expect(overload.shedCause(invite: "a", nowMs: 1_100) == .inviteWait)
    overload.inviteWaitUs = 30_000
    #expect(overload.shedCause(invite: "a", nowMs: 1_100) == nil)
    #expect(overload.counters.shed == [.queueDelay: 1, .inviteWait: 1])
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
