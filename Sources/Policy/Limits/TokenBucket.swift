/// Exact token bucket: `rate` calls per second, `burst` tokens max, time injected in ms.
///
/// Tokens are counted in thousandths: every millisecond adds `rate` of them and a call
/// takes 1000, so no fraction is rounded away. In any span of `w` ms at most
/// `burst + floor(rate × w / 1000)` calls are admitted, and demand above the rate gets
/// exactly that from a full start at `t0` to a last arrival at `t1 = t0 + w`, however
/// the arrivals are spaced, as long as the bucket does not fill up again in between
/// (a full bucket adds nothing). Time going backwards adds nothing.
///
/// Values below 1 are taken as 1 (the schema allows only `max_cps > 0`).
public struct TokenBucket: Sendable, Equatable {
  /// Tokens added per second.
  public private(set) var rate: Int
  /// Most tokens the bucket holds.
  public private(set) var burst: Int
  /// Tokens in thousandths.
  private(set) var milliTokens: Int64
  /// The latest time seen; tokens are counted up to it.
  private(set) var lastMs: Int64

  /// Thousandths of a token that one call takes.
  static let perCall: Int64 = 1000
  static let valueRange = 1...1_000_000_000

  /// A full bucket.
  public init(rate: Int, burst: Int, nowMs: Int64) {
    self.rate = Self.clamped(rate)
    self.burst = Self.clamped(burst)
    milliTokens = Int64(self.burst) * Self.perCall
    lastMs = nowMs
  }

  static func clamped(_ value: Int) -> Int {
    min(max(value, valueRange.lowerBound), valueRange.upperBound)
  }

  var capacity: Int64 { Int64(burst) * Self.perCall }

  /// Takes one token if there is one.
  public mutating func tryTake(nowMs: Int64) -> Bool {
    refill(nowMs: nowMs)
    guard milliTokens >= Self.perCall else { return false }
    milliTokens -= Self.perCall
    return true
  }

  /// New limits (on reload). The tokens held stay, capped at the new burst.
  public mutating func reconfigure(rate: Int, burst: Int) {
    self.rate = Self.clamped(rate)
    self.burst = Self.clamped(burst)
    milliTokens = min(milliTokens, capacity)
  }

  /// Whole seconds until a token is available (for Retry-After), at least 1. With a rate
  /// of at least one call per second a token is never more than a second away, so this
  /// is 1 unless the bucket is reconfigured in between.
  public func secondsUntilNextToken(nowMs: Int64) -> Int {
    let missing = Self.perCall - level(atMs: nowMs)
    guard missing > 0 else { return 1 }
    let rate = Int64(self.rate)
    let waitMs = (missing + rate - 1) / rate
    return max(1, Int((waitMs + 999) / 1000))
  }

  /// Counts the tokens added up to `nowMs`.
  mutating func refill(nowMs: Int64) {
    milliTokens = level(atMs: nowMs)
    if nowMs > lastMs { lastMs = nowMs }
  }

  /// The tokens (in thousandths) the bucket would hold at `nowMs`.
  func level(atMs nowMs: Int64) -> Int64 {
    let capacity = self.capacity
    guard nowMs > lastMs, milliTokens < capacity else { return min(milliTokens, capacity) }
    let (elapsed, overflow) = nowMs.subtractingReportingOverflow(lastMs)
    let rate = Int64(self.rate)
    let missing = capacity - milliTokens
    // Compare before multiplying, so that a long idle time cannot overflow.
    if overflow || elapsed >= (missing + rate - 1) / rate { return capacity }
    return milliTokens + elapsed * rate
  }

  /// Whether the bucket is full at `nowMs` (then it is the same as a new one).
  func isFull(atMs nowMs: Int64) -> Bool { level(atMs: nowMs) == capacity }
}
