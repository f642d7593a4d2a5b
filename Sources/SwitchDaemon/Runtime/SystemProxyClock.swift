import Glibc
import Proxy

/// The real clocks: CLOCK_MONOTONIC for timers, CLOCK_REALTIME for records.
struct SystemProxyClock: ProxyClock {
  var monotonicMs: Int64 { Self.read(CLOCK_MONOTONIC) }
  var unixMs: Int64 { Self.read(CLOCK_REALTIME) }

  private static func read(_ clock: clockid_t) -> Int64 {
    var spec = timespec()
    clock_gettime(clock, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
  }
}
