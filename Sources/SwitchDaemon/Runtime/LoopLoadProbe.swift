import Glibc
import Logging
import NIOCore
import Proxy

/// Measures the load of the core event loop and feeds it to the proxy
/// core's overload guard (docs/overload.md), on the loop itself:
///
/// - lag: a task repeated every `periodMs` notes how much later than asked
///   it runs; that is how long any event waits behind the loop's work;
/// - busy: every `windowMs`, the share of wall time the loop's thread spent
///   on the CPU (`CLOCK_THREAD_CPUTIME_ID`, read on that thread). A loop
///   busy all the time reads datagrams no faster than it can handle them,
///   so the kernel's queue (and every caller's wait) grows while the lag
///   stays small; this is what shows it.
final class LoopLoadProbe {
  private let loop: any EventLoop
  private let periodNs: Int64
  private let windowNs: Int64
  private let overload: () -> OverloadGuard?
  private let logger: Logger
  private var expectedNs: Int64 = 0
  private var windowStartNs: Int64 = 0
  private var windowStartCPUNs: Int64 = 0
  private var lastBusyPercent: Double?

  private init(
    loop: any EventLoop, periodMs: Int64, windowMs: Int64, logger: Logger,
    overload: @escaping () -> OverloadGuard?
  ) {
    self.loop = loop
    self.periodNs = periodMs * 1_000_000
    self.windowNs = windowMs * 1_000_000
    self.overload = overload
    self.logger = logger
  }

  /// Starts sampling on `loop` (call on the loop); cancel the task to stop.
  static func start(
    on loop: any EventLoop, periodMs: Int64 = 10, windowMs: Int64 = 100, logger: Logger,
    overload: @escaping () -> OverloadGuard?
  ) -> RepeatedTask {
    loop.preconditionInEventLoop()
    let probe = LoopLoadProbe(
      loop: loop, periodMs: periodMs, windowMs: windowMs, logger: logger, overload: overload)
    let now = now(CLOCK_MONOTONIC)
    probe.expectedNs = now + probe.periodNs
    probe.windowStartNs = now
    probe.windowStartCPUNs = Self.now(CLOCK_THREAD_CPUTIME_ID)
    let bound = NIOLoopBound(probe, eventLoop: loop)
    return loop.scheduleRepeatedTask(
      initialDelay: .nanoseconds(probe.periodNs), delay: .nanoseconds(probe.periodNs)
    ) { _ in bound.value.sample() }
  }

  private func sample() {
    let now = Self.now(CLOCK_MONOTONIC)
    let lagMs = Double(max(0, now - expectedNs)) / 1_000_000
    if now - windowStartNs >= windowNs {
      let cpu = Self.now(CLOCK_THREAD_CPUTIME_ID)
      lastBusyPercent = min(100, Double(cpu - windowStartCPUNs) * 100 / Double(now - windowStartNs))
      windowStartNs = now
      windowStartCPUNs = cpu
    }
    if let overload = overload(), overload.observeLoop(lagMs: lagMs, busyPercent: lastBusyPercent) {
      let metadata: Logger.Metadata = [
        "loop_lag_ms": "\(overload.smoothedLagUs / 1000)",
        "loop_busy_percent": "\(overload.smoothedBusy / 100)",
        "shed_total": "\(overload.counters.shedTotal)",
      ]
      if let cause = overload.loopCause {
        logger.warning(
          "overload: new INVITEs get 503", metadata: metadata.merging(["cause": "\(cause.rawValue)"]) { $1 })
      } else {
        logger.notice("overload over: new INVITEs are taken again", metadata: metadata)
      }
    }
    // A busy-percent sample counts once; lag samples come every period.
    lastBusyPercent = nil
    expectedNs = Self.now(CLOCK_MONOTONIC) + periodNs
  }

  private static func now(_ clock: clockid_t) -> Int64 {
    var spec = timespec()
    clock_gettime(clock, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
  }
}
