/// Token buckets by key (an interconnect or carrier service id); one thread uses it.
///
/// A bucket is made full on first use and reconfigured when the rate or burst passed
/// in changes (after a reload), keeping its tokens.
public final class CPSLimiter {
  private var buckets: [String: TokenBucket] = [:]

  public init() {}

  /// Whether one more call for `key` fits in `rate` calls per second with `burst`.
  public func admit(key: String, rate: Int, burst: Int, nowMs: Int64) -> Bool {
    guard buckets[key] != nil else {
      var bucket = TokenBucket(rate: rate, burst: burst, nowMs: nowMs)
      let admitted = bucket.tryTake(nowMs: nowMs)
      buckets[key] = bucket
      return admitted
    }
    let rate = TokenBucket.clamped(rate)
    let burst = TokenBucket.clamped(burst)
    if buckets[key]!.rate != rate || buckets[key]!.burst != burst {
      buckets[key]!.refill(nowMs: nowMs)
      buckets[key]!.reconfigure(rate: rate, burst: burst)
    }
    return buckets[key]!.tryTake(nowMs: nowMs)
  }

  /// Seconds for a Retry-After after `admit` refused `key`; 1 for an unknown key.
  public func retryAfterSeconds(key: String, nowMs: Int64) -> Int {
    buckets[key]?.secondsUntilNextToken(nowMs: nowMs) ?? 1
  }

  /// Forgets the buckets that are full and have seen no call for `idleForMs`: a full
  /// bucket is the same as the new one `admit` would make.
  public func prune(idleForMs: Int64, nowMs: Int64) {
    buckets = buckets.filter { _, bucket in
      !(nowMs - bucket.lastMs >= idleForMs && bucket.isFull(atMs: nowMs))
    }
  }

  public var bucketCount: Int { buckets.count }

  /// The whole tokens `key`'s bucket holds at `nowMs` (nil: no bucket yet,
  /// which is a full one): the admin API's view of the CPS limits.
  public func tokens(key: String, nowMs: Int64) -> Int? {
    guard var bucket = buckets[key] else { return nil }
    bucket.refill(nowMs: nowMs)
    return Int(bucket.milliTokens / TokenBucket.perCall)
  }
}
