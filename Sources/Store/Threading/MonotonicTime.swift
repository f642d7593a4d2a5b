#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A point on `CLOCK_MONOTONIC`, in nanoseconds: the clock the Store's
/// threads wait on (see `ConditionLock`).
struct MonotonicTime: Comparable, Sendable {
  var nanoseconds: Int64

  static func now() -> MonotonicTime {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return MonotonicTime(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
  }

  /// The monotonic point `duration` from now (negative durations allowed).
  static func after(_ duration: Duration) -> MonotonicTime {
    now() + duration
  }

  /// The monotonic point that corresponds to a `ContinuousClock` deadline.
  init(_ deadline: ContinuousClock.Instant) {
    self = .now() + ContinuousClock.now.duration(to: deadline)
  }

  init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

  static func + (time: MonotonicTime, duration: Duration) -> MonotonicTime {
    let (seconds, attoseconds) = duration.components
    let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    let nanos =
      overflow ? (seconds < 0 ? Int64.min / 2 : Int64.max / 2) : scaled + attoseconds / 1_000_000_000
    let (sum, sumOverflow) = time.nanoseconds.addingReportingOverflow(nanos)
    return MonotonicTime(nanoseconds: sumOverflow ? (nanos < 0 ? 0 : Int64.max) : sum)
  }

  /// `later - earlier` as a duration.
  static func - (later: MonotonicTime, earlier: MonotonicTime) -> Duration {
    .nanoseconds(later.nanoseconds - earlier.nanoseconds)
  }

  static func < (a: MonotonicTime, b: MonotonicTime) -> Bool { a.nanoseconds < b.nanoseconds }

  var timeSpec: timespec {
    let clamped = max(nanoseconds, 0)
    return timespec(tv_sec: Int(clamped / 1_000_000_000), tv_nsec: Int(clamped % 1_000_000_000))
  }
}
