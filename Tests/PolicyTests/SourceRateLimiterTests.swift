import Testing

@testable import Policy

@Suite struct SourceRateLimiterTests {
  func take(_ limiter: inout SourceRateLimiter, _ source: String, nowMs: Int64) -> Bool {
    limiter.admit(source, nowMs: nowMs)
  }

  @Test func eachSourceHasItsOwnBucket() {
    var limiter = SourceRateLimiter(rate: 2, burst: 2)
    #expect(take(&limiter, "192.0.2.1", nowMs: 0))
    #expect(take(&limiter, "192.0.2.1", nowMs: 0))
    #expect(!take(&limiter, "192.0.2.1", nowMs: 0))
    #expect(take(&limiter, "192.0.2.2", nowMs: 0))
    // Half a second later one more token for the first source.
    #expect(take(&limiter, "192.0.2.1", nowMs: 500))
    #expect(!take(&limiter, "192.0.2.1", nowMs: 500))
  }

  @Test func theTableNeverHoldsMoreThanItsCapacity() {
    var limiter = SourceRateLimiter(rate: 1, burst: 1, capacity: 100, sweepIntervalMs: 1_000)
    for n in 0..<10_000 { _ = limiter.admit("10.0.\(n / 256).\(n % 256)", nowMs: Int64(n / 100)) }
    #expect(limiter.trackedCount <= 100)
  }

  @Test func aFullTableRefusesNewSourcesUntilBucketsRefill() {
    var limiter = SourceRateLimiter(rate: 1, burst: 1, capacity: 2, sweepIntervalMs: 1_000)
    #expect(take(&limiter, "a", nowMs: 0))
    #expect(take(&limiter, "b", nowMs: 0))
    // Both buckets are empty (active sources): no room for a third.
    #expect(!take(&limiter, "c", nowMs: 10))
    // After a second they are full again, i.e. forgettable.
    #expect(take(&limiter, "c", nowMs: 1_100))
    #expect(limiter.trackedCount == 1)
  }

  @Test func idleSourcesAreForgotten() {
    var limiter = SourceRateLimiter(rate: 10, burst: 10)
    for n in 0..<50 { _ = limiter.admit("s\(n)", nowMs: 0) }
    #expect(limiter.trackedCount == 50)
    limiter.sweep(nowMs: 1_000)
    #expect(limiter.trackedCount == 0)
  }
}
