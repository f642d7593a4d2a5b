import Testing

@testable import Proxy

/// The overload guard in a closed loop with a simulated core loop
/// (docs/overload.md): new INVITEs cost it work, the work queues, and the
/// queue's age is the load signal the guard is fed every 10 ms, as the
/// daemon's probe does. Time is a counter: no clock, no sleeps.
@Suite struct OverloadControlLoopTests {
  /// A core loop that does one ms of work per ms: an admitted call costs
  /// `admittedCostMs` of it (INVITE, responses, ACK, BYE), a shed INVITE
  /// `shedCostMs` (parse, 503, its ACK). What is not done yet waits in the
  /// queue, and the oldest datagram's age is the backlog.
  struct SimulatedLoop {
    let overload: OverloadGuard
    var admittedCostMs = 2.5
    var shedCostMs = 0.25
    var backlogMs = 0.0
    var nowMs: Int64 = 0
    /// Admitted INVITEs per 100 ms window, from the start.
    var admittedPerWindow: [Int] = []
    var shed = 0
    /// The smoothed queue delay at each sample (ms).
    var smoothedDelays: [Double] = []

    init(_ settings: OverloadSettings) { overload = OverloadGuard(settings: settings) }

    /// `invitesPerMs` new INVITEs offered every ms, for `ms`.
    mutating func run(invitesPerMs: Double, ms: Int64) {
      var owed = 0.0
      for _ in 0..<ms {
        owed += invitesPerMs
        if nowMs % 100 == 0 { admittedPerWindow.append(0) }
        while owed >= 1 {
          owed -= 1
          if overload.shedCause(invite: "192.0.2.1", nowMs: nowMs) == nil {
            backlogMs += admittedCostMs
            admittedPerWindow[admittedPerWindow.count - 1] += 1
          } else {
            backlogMs += shedCostMs
            shed += 1
          }
        }
        backlogMs = max(0, backlogMs - 1)
        nowMs += 1
        if nowMs % 10 == 0 {
          overload.observeLoop(lagMs: 0, queueDelayMs: backlogMs)
          smoothedDelays.append(Double(overload.smoothedQueueDelayUs) / 1000)
        }
      }
    }

    /// Admitted INVITEs per second over the windows from `fromMs` on.
    func admittedRate(fromMs: Int64) -> Double {
      let windows = admittedPerWindow[Int(fromMs / 100)...]
      return Double(windows.reduce(0, +)) * 10 / Double(windows.count)
    }
  }

  /// 1,000 new INVITEs per second offered to a loop that can take about
  /// 333 calls per second while shedding the rest (333 × 2.5 ms + 667 ×
  /// 0.25 ms = 1 s of work per second).
  static let capacity = 1_000.0 / 2.25 * (1 - 0.25)

  @Test func admittedLoadConvergesToWhatTheLoopCanTake() {
    var loop = SimulatedLoop(OverloadSettings(maxQueueDelayMs: 20))
    loop.run(invitesPerMs: 1, ms: 20_000)
    // After settling, the admitted rate is the loop's capacity, neither all
    // nor nothing: no 100 ms window takes much more than its share, none
    // is empty, and the queue stays near its limit.
    let settled = Array(loop.admittedPerWindow[50...])
    let rate = loop.admittedRate(fromMs: 5_000)
    #expect(rate > Self.capacity * 0.85 && rate < Self.capacity * 1.02, "\(rate)")
    #expect(settled.max() ?? 0 <= Int(Self.capacity / 10 * 1.5), "\(settled)")
    #expect(settled.min() ?? 0 >= Int(Self.capacity / 10 * 0.5), "\(settled)")
    #expect(loop.smoothedDelays[500...].allSatisfy { $0 < 40 }, "\(loop.smoothedDelays.max() ?? 0)")
    #expect(loop.shed > 0)
    #expect(loop.overload.counters.overloadEpisodes == 1)
  }

  @Test func aHeavierOverloadIsCutFurtherAndTheLimitIsLiftedWhenItEnds() throws {
    var loop = SimulatedLoop(OverloadSettings(maxQueueDelayMs: 20))
    // Clean at 200 per second: nothing shed.
    loop.run(invitesPerMs: 0.2, ms: 3_000)
    #expect(loop.shed == 0)
    #expect(!loop.overload.isOverloaded)
    // Three times 1,000 per second: the capacity left after shedding is lower.
    loop.run(invitesPerMs: 3, ms: 10_000)
    #expect(loop.overload.isOverloaded)
    #expect(loop.overload.loopCause == .queueDelay)
    let heavyCapacity = (1_000 - 3_000 * 0.25) / (2.5 - 0.25)
    let heavy = loop.admittedRate(fromMs: 8_000)
    #expect(heavy > heavyCapacity * 0.8 && heavy < heavyCapacity * 1.05, "\(heavy)")
    let limit = try #require(loop.overload.admittedRateLimit)
    #expect(limit < heavyCapacity * 1.5)
    // The load goes back to 200 per second: the limit is lifted and all are admitted again.
    let shedBefore = loop.shed
    loop.run(invitesPerMs: 0.2, ms: 10_000)
    #expect(!loop.overload.isOverloaded)
    #expect(loop.overload.admittedRateLimit == nil)
    #expect(abs(loop.admittedRate(fromMs: 18_000) - 200) < 5)
    #expect(loop.shed - shedBefore < 2_000)
    #expect(loop.overload.counters.overloadEpisodes == 1)
  }
}
