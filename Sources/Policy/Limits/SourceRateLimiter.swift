/// A token bucket per source address, in bounded memory (what Kamailio's
/// `pike` module does): `rate` requests per second and a `burst` of them per
/// source; time injected in ms.
///
/// Memory: at most `capacity` sources are tracked. A bucket that has filled
/// up again is the same as a new one, so it can be forgotten; when the table
/// is full, such buckets are swept out (at most once per `sweepIntervalMs`,
/// so that a flood from many addresses costs no scan per packet). A source
/// that finds the table still full of sources that sent within the refill
/// time is refused: under a flood from more addresses than the table holds,
/// a new address is not answered until room is made.
public struct SourceRateLimiter: Sendable {
  public let rate: Int
  public let burst: Int
  public let capacity: Int
  public let sweepIntervalMs: Int64
  private var buckets: [String: TokenBucket] = [:]
  private var lastSweepMs: Int64?

  public init(rate: Int, burst: Int, capacity: Int = 16_384, sweepIntervalMs: Int64 = 1_000) {
    self.rate = TokenBucket.clamped(rate)
    self.burst = TokenBucket.clamped(burst)
    self.capacity = max(1, capacity)
    self.sweepIntervalMs = max(0, sweepIntervalMs)
  }

  /// Takes a token from `source`'s bucket if it has one.
  public mutating func admit(_ source: String, nowMs: Int64) -> Bool {
    if buckets[source] == nil {
      guard makeRoom(nowMs: nowMs) else { return false }
      buckets[source] = TokenBucket(rate: rate, burst: burst, nowMs: nowMs)
    }
    return buckets[source]!.tryTake(nowMs: nowMs)
  }

  /// Sources tracked now.
  public var trackedCount: Int { buckets.count }

  /// Forgets every bucket that is full at `nowMs`.
  public mutating func sweep(nowMs: Int64) {
    lastSweepMs = nowMs
    buckets = buckets.filter { !$0.value.isFull(atMs: nowMs) }
  }

  private mutating func makeRoom(nowMs: Int64) -> Bool {
    guard buckets.count >= capacity else { return true }
    if let last = lastSweepMs, nowMs - last < sweepIntervalMs, nowMs >= last { return false }
    sweep(nowMs: nowMs)
    return buckets.count < capacity
  }
}
