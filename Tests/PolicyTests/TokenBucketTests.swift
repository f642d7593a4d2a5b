import Testing

@testable import Policy

/// Demand above the rate, from a full start at t0 to a last arrival at t1, admits exactly
/// `burst + floor(rate × (t1 − t0) / 1000)` calls when the bucket does not fill up again
/// in between: tokens are counted in thousandths and every whole one is taken at the
/// next arrival. The expected numbers below follow from that.
@Suite struct TokenBucketTests {
  struct Pattern: Sendable, CustomStringConvertible {
    var rate: Int
    var burst: Int
    /// Arrival ticks at `firstMs`, `firstMs + everyMs`, … up to `lastMs` inclusive.
    var firstMs: Int64 = 0
    var everyMs: Int64
    var lastMs: Int64
    /// Calls arriving at each tick.
    var perTick: Int = 1
    var admitted: Int

    var description: String {
      "rate \(rate) burst \(burst), \(perTick) every \(everyMs) ms, \(firstMs)...\(lastMs) ms"
    }
  }

  /// The outcome of one `tryTake` at each of `times`, in order.
  static func takes(_ bucket: inout TokenBucket, at times: [Int64]) -> [Bool] {
    times.map { bucket.tryTake(nowMs: $0) }
  }

  static func run(_ pattern: Pattern) -> Int {
    var bucket = TokenBucket(rate: pattern.rate, burst: pattern.burst, nowMs: pattern.firstMs)
    var admitted = 0
    for tick in stride(from: pattern.firstMs, through: pattern.lastMs, by: Int(pattern.everyMs)) {
      for _ in 0..<pattern.perTick where bucket.tryTake(nowMs: tick) { admitted += 1 }
    }
    return admitted
  }

  @Test(arguments: [
    // 50 calls/s over [0, 10 s]: 20 + 20 × 10.
    Pattern(rate: 20, burst: 20, everyMs: 20, lastMs: 10_000, admitted: 220),
    // The same over [0, 10 s): last arrival at 9980 ms, 20 + floor(20 × 9.98).
    Pattern(rate: 20, burst: 20, everyMs: 20, lastMs: 9_980, admitted: 219),
    // One call every ms for a minute: 7 + 7 × 60.
    Pattern(rate: 7, burst: 7, everyMs: 1, lastMs: 60_000, admitted: 427),
    // Burst 1: each token completes mid-millisecond (every 142.857 ms) into a bucket that
    // is then full, so the arrival on the next whole ms finds one token and the 0.143 ms
    // in between adds nothing: one call every 143 ms, 1 + floor(60000 / 143).
    Pattern(rate: 7, burst: 1, everyMs: 1, lastMs: 60_000, admitted: 420),
    // Batches every 300 ms: 2.1 tokens a tick, the tenth carried: 7 + floor(7 × 9.9),
    // where "limit × interval" rounding per tick would give 7 + 33 × 2 = 73.
    Pattern(rate: 7, burst: 7, everyMs: 300, lastMs: 9_900, perTick: 100, admitted: 76),
    // Batches every second: the bucket refills to exactly its burst each time.
    Pattern(rate: 7, burst: 7, everyMs: 1_000, lastMs: 10_000, perTick: 100, admitted: 77),
    // Every 7 ms at rate 3: 10 + floor(3 × 9.996).
    Pattern(rate: 3, burst: 10, everyMs: 7, lastMs: 9_996, admitted: 39),
    // Everything in one millisecond: the burst.
    Pattern(rate: 20, burst: 20, firstMs: 5, everyMs: 1, lastMs: 5, perTick: 1_000, admitted: 20),
    // Demand below the rate: all 101 calls.
    Pattern(rate: 20, burst: 5, everyMs: 100, lastMs: 10_000, admitted: 101),
  ])
  func admitsExactly(pattern: Pattern) {
    #expect(Self.run(pattern) == pattern.admitted)
  }

  /// 1000 calls/s against rates up to half of that: the burst drains within a second.
  @Test(arguments: [1, 7, 20, 33, 100, 500])
  func saturatedMinuteAdmitsBurstPlusRateTimesSixty(rate: Int) {
    let pattern = Pattern(rate: rate, burst: rate, everyMs: 1, lastMs: 60_000, admitted: 0)
    #expect(Self.run(pattern) == rate + rate * 60)
  }

  /// Irregular gaps of 0…9 ms (a fixed pseudo-random sequence) change nothing.
  @Test func irregularArrivalsAdmitTheSameCount() {
    var bucket = TokenBucket(rate: 20, burst: 20, nowMs: 0)
    var state: UInt32 = 12345
    var now: Int64 = 0
    var lastArrival: Int64 = 0
    var admitted = 0
    while now <= 10_000 {
      if bucket.tryTake(nowMs: now) { admitted += 1 }
      lastArrival = now
      state = state &* 1_103_515_245 &+ 12345
      now += Int64((state >> 16) % 10)
    }
    #expect(lastArrival > 9_990)
    #expect(admitted == 20 + Int(20 * lastArrival / 1000))
  }

  @Test func refillStopsAtBurst() {
    var bucket = TokenBucket(rate: 10, burst: 5, nowMs: 0)
    #expect(Self.takes(&bucket, at: [0, 0, 0, 0, 0, 0]) == [true, true, true, true, true, false])
    // A day later: still only the burst.
    var admitted = 0
    for _ in 0..<100 where bucket.tryTake(nowMs: 86_400_000) { admitted += 1 }
    #expect(admitted == 5)
    // A clock jump from the far past to the far future neither overflows nor overfills.
    var extreme = TokenBucket(rate: 1_000_000_000, burst: 2, nowMs: .min)
    let outcomes = Self.takes(&extreme, at: [.min, .min, .min, .max, .max, .max])
    #expect(outcomes == [true, true, false, true, true, false])
  }

  @Test func reconfigureKeepsTokensCappedAtTheNewBurst() {
    var bucket = TokenBucket(rate: 10, burst: 10, nowMs: 0)
    bucket.reconfigure(rate: 10, burst: 3)
    var admitted = 0
    for _ in 0..<10 where bucket.tryTake(nowMs: 0) { admitted += 1 }
    #expect(admitted == 3)
    // A larger burst adds no tokens by itself...
    bucket.reconfigure(rate: 5, burst: 10)
    #expect(Self.takes(&bucket, at: [0]) == [false])
    // ...the new rate does: 5 per second.
    admitted = 0
    for _ in 0..<10 where bucket.tryTake(nowMs: 1_000) { admitted += 1 }
    #expect(admitted == 5)
    #expect(bucket.rate == 5 && bucket.burst == 10)
  }

  @Test func clockGoingBackwardsAddsNoTokens() {
    var bucket = TokenBucket(rate: 5, burst: 5, nowMs: 10_000)
    #expect(
      Self.takes(&bucket, at: [10_000, 10_000, 10_000, 10_000, 10_000]) == [true, true, true, true, true])
    // Back to 0 and forward again: nothing added.
    #expect(Self.takes(&bucket, at: [0, 10_000]) == [false, false])
    // Tokens count from the latest time seen: 5 × 199 ms is not yet one token, 5 × 200 ms is.
    #expect(Self.takes(&bucket, at: [10_199, 10_200, 10_200, 9_000]) == [false, true, false, false])
  }

  @Test func valuesBelowOneCountAsOne() {
    var bucket = TokenBucket(rate: 0, burst: -3, nowMs: 0)
    #expect(bucket.rate == 1 && bucket.burst == 1)
    #expect(Self.takes(&bucket, at: [0, 999, 1_000]) == [true, false, true])
  }

  @Test(arguments: [
    // (rate, burst, calls taken at 0, asked at, seconds)
    (1, 1, 0, Int64(0), 1),
    (1, 1, 1, Int64(0), 1),
    (1, 1, 1, Int64(999), 1),
    (1, 1, 1, Int64(1_000), 1),
    (20, 20, 20, Int64(10), 1),
  ])
  func retryAfter(rate: Int, burst: Int, taken: Int, askedAt: Int64, seconds: Int) {
    var bucket = TokenBucket(rate: rate, burst: burst, nowMs: 0)
    for _ in 0..<taken { _ = bucket.tryTake(nowMs: 0) }
    #expect(bucket.secondsUntilNextToken(nowMs: askedAt) == seconds)
  }

  @Test func retryAfterIsNeverBelowOne() {
    var bucket = TokenBucket(rate: 3, burst: 2, nowMs: 0)
    for now in stride(from: Int64(0), through: 5_000, by: 37) {
      _ = bucket.tryTake(nowMs: now)
      #expect(bucket.secondsUntilNextToken(nowMs: now) == 1)
    }
  }
}

@Suite struct CPSLimiterTests {
  @Test func bucketsAreKeptPerKey() {
    let limiter = CPSLimiter()
    for _ in 0..<3 { #expect(limiter.admit(key: "a", rate: 3, burst: 3, nowMs: 0)) }
    #expect(!limiter.admit(key: "a", rate: 3, burst: 3, nowMs: 0))
    #expect(limiter.admit(key: "b", rate: 3, burst: 3, nowMs: 0))
    #expect(limiter.bucketCount == 2)
    #expect(limiter.retryAfterSeconds(key: "a", nowMs: 0) == 1)
    #expect(limiter.retryAfterSeconds(key: "unknown", nowMs: 0) == 1)
  }

  @Test func changedLimitsReconfigureTheBucket() {
    let limiter = CPSLimiter()
    for _ in 0..<10 { #expect(limiter.admit(key: "a", rate: 10, burst: 10, nowMs: 0)) }
    #expect(!limiter.admit(key: "a", rate: 10, burst: 10, nowMs: 0))
    // 500 ms at the old rate of 10 gives 5 tokens; the new burst of 2 caps them.
    var admitted = 0
    for _ in 0..<10 where limiter.admit(key: "a", rate: 1, burst: 2, nowMs: 500) { admitted += 1 }
    #expect(admitted == 2)
    // From here the new rate: 1 per second.
    #expect(!limiter.admit(key: "a", rate: 1, burst: 2, nowMs: 1_499))
    #expect(limiter.admit(key: "a", rate: 1, burst: 2, nowMs: 1_500))
    #expect(limiter.bucketCount == 1)
  }

  @Test func pruneForgetsOnlyFullIdleBuckets() {
    let limiter = CPSLimiter()
    _ = limiter.admit(key: "idle", rate: 1, burst: 5, nowMs: 0)  // full again at 1 s
    for _ in 0..<100 { _ = limiter.admit(key: "drained", rate: 1, burst: 100, nowMs: 0) }  // full at 100 s
    _ = limiter.admit(key: "busy", rate: 1, burst: 5, nowMs: 59_500)
    limiter.prune(idleForMs: 30_000, nowMs: 60_000)
    #expect(limiter.bucketCount == 2)
    // "drained" was kept: it holds the 60 tokens of 60 s, not a fresh burst of 100.
    var admitted = 0
    for _ in 0..<100 where limiter.admit(key: "drained", rate: 1, burst: 100, nowMs: 60_000) { admitted += 1 }
    #expect(admitted == 60)
    limiter.prune(idleForMs: 30_000, nowMs: 200_000)
    #expect(limiter.bucketCount == 0)
  }
}
