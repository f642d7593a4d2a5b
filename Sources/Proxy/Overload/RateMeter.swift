/// Events per second, measured over windows of `windowMs` and smoothed
/// (half of each new window), with the window still open counted once it is
/// a fifth of a window old, so that a rate that just rose shows at once.
/// Time is a parameter; time going backwards starts a new window.
public struct RateMeter: Sendable, Equatable {
  public let windowMs: Int64
  /// The rate over the closed windows, smoothed (per second).
  public private(set) var smoothed: Double = 0
  private var windowStartMs: Int64?
  private var count = 0

  public init(windowMs: Int64 = 100) {
    self.windowMs = max(1, windowMs)
  }

  /// Counts one event at `nowMs`. A window in which nothing happened is
  /// counted (as a lower rate) when the next event closes it.
  public mutating func count(nowMs: Int64) {
    guard let start = windowStartMs, nowMs >= start else {
      windowStartMs = nowMs
      count = 1
      return
    }
    let elapsed = nowMs - start
    if elapsed >= windowMs {
      smoothed += (Double(count) * 1000 / Double(elapsed) - smoothed) / 2
      windowStartMs = nowMs
      count = 0
    }
    count += 1
  }

  /// The rate at `nowMs`: the smoothed one, or the open window's if that
  /// is higher and the window is old enough to tell.
  public func rate(nowMs: Int64) -> Double {
    guard let start = windowStartMs, nowMs - start >= windowMs / 5, nowMs - start > 0 else {
      return smoothed
    }
    return max(smoothed, Double(count) * 1000 / Double(nowMs - start))
  }
}
