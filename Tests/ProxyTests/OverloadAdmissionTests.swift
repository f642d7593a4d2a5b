import Testing

@testable import Proxy

/// The AIMD admission of new INVITEs under load (`AdmissionController`,
/// `RateMeter`, docs/overload.md): time and the load are injected.
@Suite struct OverloadAdmissionTests {
  /// A controller that admitted one INVITE per ms for `ms` and then saw `load`.
  static func limited(load: Double, afterMs ms: Int64 = 500, minRate: Int = 10) -> AdmissionController {
    var admission = AdmissionController(minRate: minRate)
    for now in 0..<ms {
      let mayAdmit = admission.mayAdmit(nowMs: now)
      #expect(mayAdmit)
      admission.admit(nowMs: now)
    }
    let changed = admission.observe(load: load)
    #expect(changed)
    return admission
  }

  /// One control step at `load`; expects it to start or stop limiting only when `changes`.
  static func step(
    _ admission: inout AdmissionController, load: Double, changes: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    var changed = false
    for _ in 0..<admission.samplesPerStep where admission.observe(load: load) { changed = true }
    #expect(changed == changes, sourceLocation: sourceLocation)
  }

  @Test func theRateMeterFollowsTheRateAndShowsARiseAtOnce() {
    var meter = RateMeter()
    for now in Int64(0)..<2_000 where now % 2 == 0 { meter.count(nowMs: now) }
    #expect(abs(meter.rate(nowMs: 2_000) - 500) < 10)
    // Four times the rate for 30 ms: the open window shows it before it closes.
    for now in Int64(2_000)..<2_030 {
      for _ in 0..<2 { meter.count(nowMs: now) }
    }
    #expect(meter.rate(nowMs: 2_030) > 1_000)
    #expect(meter.smoothed < 600)
    // Time going backwards starts a new window instead of a negative rate.
    meter.count(nowMs: 10)
    #expect(meter.rate(nowMs: 10) >= 0)
  }

  @Test func noLimitUntilTheLoadGoesOver() {
    var admission = AdmissionController()
    for load in [0.0, 0.5, 1.0, 0.99] {
      let changed = admission.observe(load: load)
      #expect(!changed)
    }
    #expect(admission.limit == nil)
    var admitted = 0
    for _ in 0..<10_000 where admission.mayAdmit(nowMs: 0) { admitted += 1 }
    #expect(admitted == 10_000)
  }

  @Test func anEpisodeStartsBelowTheAdmittedRateWithAnEmptyBucket() throws {
    var admission = Self.limited(load: 1.1)
    let limit = try #require(admission.limit)
    // One INVITE per ms was admitted: about 1,000 per second; a little over: 7/8 of it.
    #expect(limit > 800 && limit < 950)
    let atOnce = admission.mayAdmit(nowMs: 500)
    #expect(!atOnce)
    // Tokens come at the limit: 2 ms later, one or two INVITEs.
    let twoMsLater = admission.mayAdmit(nowMs: 502)
    #expect(twoMsLater)
    // Further over at the start: 1/load of the rate.
    let further = try #require(Self.limited(load: 1.6).limit)
    #expect(abs(further - limit * 8 / 7 / 1.6) < 0.001)
  }

  @Test func itCutsWhileTheLoadStaysOverHoldsWhileItFallsAndRaisesBelow() throws {
    var admission = Self.limited(load: 1.1)
    let start = try #require(admission.limit)
    // The ceiling is the rate admitted before the episode: the limit started at 7/8 of it.
    let ceiling = start * 8 / 7
    #expect(abs(admission.ceiling - ceiling) < 0.001)
    // Over and rising: cut to 1/load.
    Self.step(&admission, load: 1.6)
    #expect(abs((admission.limit ?? 0) - start / 1.6) < 0.001)
    // Still over but falling: the last cut is draining the queue, hold.
    Self.step(&admission, load: 1.05)
    #expect(abs((admission.limit ?? 0) - start / 1.6) < 0.001)
    // A little over and rising again: 1/8 off (the least cut).
    Self.step(&admission, load: 1.1)
    let cut = try #require(admission.limit)
    #expect(abs(cut - start / 1.6 * 7 / 8) < 0.001)
    // Cuts of one overflow, with no rise between, keep the ceiling.
    #expect(abs(admission.ceiling - ceiling) < 0.001)
    // Under the limit: back by a quarter per step, up to 7/8 of the ceiling...
    var expected = cut
    while expected < ceiling * 7 / 8 {
      expected = min(ceiling * 7 / 8, expected * 5 / 4)
      admission.refuse()
      Self.step(&admission, load: 0.9)
      #expect(abs((admission.limit ?? 0) - expected) < 0.001)
    }
    // ...then by a constant step: 1/128 of the ceiling below it.
    for _ in 0..<2 {
      admission.refuse()
      Self.step(&admission, load: 0.8)
      expected += ceiling / 128
      #expect(abs((admission.limit ?? 0) - expected) < 0.001)
    }
  }

  @Test func aQueueTwiceTooDeepHalvesTheLimitOncePerHalfStepWhileItGrows() throws {
    var admission = Self.limited(load: 1.1)
    let start = try #require(admission.limit)
    // The first sample twice too deep halves it. The queue goes on growing
    // for a while (the calls admitted before still send their responses):
    // not again for half a step; then a sample that is still growing does.
    let samples = [(2.5, 2.0), (2.6, 2), (2.7, 2), (2.8, 2), (2.9, 2), (3.0, 4), (2.9, 4)]
    for (load, divisor) in samples {
      let changed = admission.observe(load: load)
      #expect(!changed)
      #expect(admission.limit == start / divisor, "\(load)")
    }
    // The step at the tenth sample does not cut again while the samples did.
    for load in [2.8, 2.7, 2.6] {
      let changed = admission.observe(load: load)
      #expect(!changed)
    }
    #expect(admission.limit == start / 4)
    // Half a step after the last halving, not lower than the last sample: halved again.
    let changed = admission.observe(load: 2.6)
    #expect(!changed)
    #expect(admission.limit == start / 8)
    // The sample's own load shows a flood before the smoothed one does.
    for _ in 0..<4 { _ = admission.observe(load: 1.2, latest: 1.5) }
    #expect(admission.limit == start / 8)
    let early = admission.observe(load: 1.2, latest: 3)
    #expect(!early)
    #expect(admission.limit == start / 16)
    // Halvings of one overflow keep its ceiling.
    #expect(abs(admission.ceiling - start * 8 / 7) < 0.001)
  }

  @Test func afterAnOverflowTheLimitRecoversToSevenEighthsOfTheRateThatOverflowed() throws {
    var admission = Self.limited(load: 1.1)
    // Probing upwards (the queue is fine, INVITEs are still refused).
    admission.refuse()
    Self.step(&admission, load: 0.9)
    admission.refuse()
    Self.step(&admission, load: 0.9)
    let overflowedAt = try #require(admission.limit)
    // The queue overflows at that rate: halved, and that rate is the new ceiling.
    for load in [2.5, 1.5, 1.2, 1.0, 0.9, 0.6, 0.5, 0.4, 0.3] {
      let changed = admission.observe(load: load)
      #expect(!changed)
    }
    #expect(admission.limit == overflowedAt / 2)
    #expect(admission.ceiling == overflowedAt)
    // A quarter more per step while under the limit, up to 7/8 of the ceiling.
    var expected = overflowedAt / 2
    for _ in 0..<3 {
      admission.refuse()
      Self.step(&admission, load: 0.9)
      expected = min(overflowedAt * 7 / 8, expected * 5 / 4)
      #expect(abs((admission.limit ?? 0) - expected) < 0.001)
    }
    #expect(abs(expected - overflowedAt * 7 / 8) < 0.001)
    // Then 1/128 of the ceiling per step up to it; beyond it 1/64 of it, or
    // a quarter of the excess once that is more.
    admission.refuse()
    Self.step(&admission, load: 0.9)
    #expect(abs((admission.limit ?? 0) - overflowedAt * (7.0 / 8 + 1.0 / 128)) < 0.001)
    for _ in 0..<15 {
      admission.refuse()
      Self.step(&admission, load: 0.9)
    }
    let atCeiling = try #require(admission.limit)
    #expect(atCeiling >= overflowedAt && atCeiling - overflowedAt < overflowedAt / 64)
    admission.refuse()
    Self.step(&admission, load: 0.9)
    var limit = try #require(admission.limit)
    #expect(abs(limit - atCeiling - overflowedAt / 64) < 0.001)
    for _ in 0..<40 {
      let step = max(overflowedAt / 64, (limit - overflowedAt) / 4)
      admission.refuse()
      Self.step(&admission, load: 0.9)
      #expect(abs((admission.limit ?? 0) - limit - step) < 0.001)
      limit = admission.limit ?? 0
    }
    // Four seconds past the ceiling with no overflow: over twice it.
    #expect(limit > overflowedAt * 2)
  }

  @Test func theGuardHalvesOnARawSampleTwiceTheLimitBeforeTheSmoothedSignalGetsThere() throws {
    let overload = OverloadGuard(settings: OverloadSettings(maxQueueDelayMs: 20))
    for now in Int64(0)..<500 { #expect(overload.shedCause(invite: "192.0.2.1", nowMs: now) == nil) }
    // Datagrams 45 ms old: the smoothed signal passes 20 ms at the fifth sample.
    for _ in 0..<4 { overload.observeLoop(lagMs: 0, queueDelayMs: 45) }
    #expect(!overload.isOverloaded)
    #expect(overload.observeLoop(lagMs: 0, queueDelayMs: 45))
    let start = try #require(overload.admittedRateLimit)
    #expect(start > 800 && start < 950)
    // Smoothed 25 ms (1.24 of the limit), the sample 45 (2.25): halved.
    overload.observeLoop(lagMs: 0, queueDelayMs: 45)
    #expect(overload.smoothedQueueDelayUs < 40_000)
    #expect(overload.admittedRateLimit == start / 2)
  }

  @Test func theLimitIsLiftedOnlyWhenItNoLongerBinds() {
    var admission = Self.limited(load: 2)
    // Below 3/4 of the limit, but INVITEs were refused in the step: still limited.
    admission.refuse()
    Self.step(&admission, load: 0.5)
    #expect(admission.isLimiting)
    // Between 3/4 and 1, nothing refused: still limited (raised).
    Self.step(&admission, load: 0.8)
    #expect(admission.isLimiting)
    // Below 3/4 and nothing refused for a whole step: lifted, and said so.
    Self.step(&admission, load: 0.5, changes: true)
    #expect(admission.limit == nil)
    let mayAdmit = admission.mayAdmit(nowMs: 500)
    #expect(mayAdmit)
  }

  @Test func theLimitNeverGoesBelowTheFloorAndTheFloorIsAdmitted() throws {
    var admission = Self.limited(load: 50, minRate: 20)
    for _ in 0..<100 { Self.step(&admission, load: 50) }
    #expect(admission.limit == 20)
    // Offered one INVITE per ms for 10 s: about 20 per second get in.
    var admitted = 0
    for now in Int64(1_000)..<11_000 where admission.mayAdmit(nowMs: now) {
      admission.admit(nowMs: now)
      admitted += 1
    }
    #expect(admitted >= 195 && admitted <= 205)
  }

  @Test func theBucketAdmitsAtTheLimitWithASmallBurst() throws {
    var admission = Self.limited(load: 1.5)
    let limit = try #require(admission.limit)
    let mayAdmit = admission.mayAdmit(nowMs: 1_500)
    #expect(!mayAdmit)
    var admitted = 0
    var mostInOneMs = 0
    // Idle for a second, then a hundred INVITEs per ms for a second.
    for now in Int64(2_500)..<3_500 {
      var inThisMs = 0
      for _ in 0..<100 where admission.mayAdmit(nowMs: now) {
        admission.admit(nowMs: now)
        inThisMs += 1
      }
      admitted += inThisMs
      mostInOneMs = max(mostInOneMs, inThisMs)
    }
    // The limit per second plus a burst of 1/20 of it (the idle second stored no more).
    #expect(Double(admitted) >= limit)
    #expect(Double(admitted) <= limit * 1.05 + 2)
    #expect(Double(mostInOneMs) <= limit / 20 + 1)
    #expect(Double(mostInOneMs) >= limit / 20 - 1)
  }
}
