import Glibc
import Logging
import NIOCore
import Proxy
import SIPTransport

/// Measures the load of the core event loop and feeds it to the proxy
/// core's overload guard (docs/overload.md), on the loop itself, every
/// `periodMs`:
///
/// - lag: how much later than asked this task runs (how long an event waits
///   behind the loop's work);
/// - queue delay: the age of the datagrams the loop reads now, measured by
///   a probe datagram through each UDP listener's receive queue
///   (`UDPQueueAgeProbe`). Under a UDP flood the lag stays small (NIO runs
///   its tasks between two batches of reads) while this grows until the
///   kernel drops datagrams: it is the signal a flood trips.
/// - busy: every `windowMs`, the share of wall time the loop spent handling
///   messages and timers (`SwitchCore` times each one). Where it saturates
///   depends on the machine (the rest is reads, sends and polling), so its
///   limit is off by default.
/// - CPU: every `windowMs`, the loop thread's CPU time over the wall time
///   (`CLOCK_THREAD_CPUTIME_ID`: reads, sends and handling, not the waits in
///   epoll). Not a shedding signal: the admission controller's headroom,
///   how far the admitted rate may grow.
final class LoopLoadProbe {
  private let periodNs: Int64
  private let windowNs: Int64
  private let queueAge: UDPQueueAgeProbe?
  private let work: () -> Int64
  private let newCallWait: (Int64) -> (waitNs: Int64, count: Int)
  private let overload: () -> OverloadGuard?
  private let logger: Logger
  private var expectedNs: Int64 = 0
  private var windowStartNs: Int64 = 0
  private var windowBusyNs: Int64 = 0
  private var lastBusyPercent: Double?
  private var windowStartCpuNs: Int64 = 0
  private var lastCpuPercent: Double?

  private init(
    periodMs: Int64, windowMs: Int64, logger: Logger, queueAge: UDPQueueAgeProbe?,
    work: @escaping () -> Int64, newCallWait: @escaping (Int64) -> (waitNs: Int64, count: Int),
    overload: @escaping () -> OverloadGuard?
  ) {
    self.periodNs = periodMs * 1_000_000
    self.windowNs = windowMs * 1_000_000
    self.queueAge = queueAge
    self.work = work
    self.newCallWait = newCallWait
    self.overload = overload
    self.logger = logger
  }

  /// Starts sampling on `loop` (call on the loop); cancel the task to stop.
  /// `work` gives the busy nanoseconds since it was last asked.
  static func start(
    on loop: any EventLoop, periodMs: Int64 = 10, windowMs: Int64 = 100, logger: Logger,
    queueAge: UDPQueueAgeProbe?, work: @escaping () -> Int64,
    newCallWait: @escaping (Int64) -> (waitNs: Int64, count: Int) = { _ in (0, 0) },
    overload: @escaping () -> OverloadGuard?
  ) -> RepeatedTask {
    loop.preconditionInEventLoop()
    let probe = LoopLoadProbe(
      periodMs: periodMs, windowMs: windowMs, logger: logger, queueAge: queueAge, work: work,
      newCallWait: newCallWait, overload: overload)
    let now = now()
    probe.expectedNs = now + probe.periodNs
    probe.windowStartNs = now
    probe.windowStartCpuNs = threadCPUTime()
    _ = work()
    let bound = NIOLoopBound(probe, eventLoop: loop)
    return loop.scheduleRepeatedTask(
      initialDelay: .nanoseconds(probe.periodNs), delay: .nanoseconds(probe.periodNs)
    ) { _ in bound.value.sample() }
  }

  private func sample() {
    let now = Self.now()
    let taskLagMs = Double(max(0, now - expectedNs)) / 1_000_000
    windowBusyNs += work()
    if now - windowStartNs >= windowNs {
      let windowMs = Double(now - windowStartNs) / 1_000_000
      lastBusyPercent = min(100, Double(windowBusyNs) / 10_000 / windowMs)
      let cpuNs = Self.threadCPUTime()
      lastCpuPercent = min(100, Double(cpuNs - windowStartCpuNs) / 10_000 / windowMs)
      windowStartCpuNs = cpuNs
      windowStartNs = now
      windowBusyNs = 0
    }
    // What a call admitted now waits: its INVITE in the kernel's queue and
    // then in the core's new-call queue, its responses in the kernel's queue
    // again (they are read at once and go first).
    let kernelMs = queueAge?.sample(nowNs: now) ?? 0
    let newCalls = newCallWait(now)
    let queueDelayMs = 2 * kernelMs + Double(newCalls.waitNs) / 1_000_000
    report(lagMs: taskLagMs, queueDelayMs: queueDelayMs, queuedNewCalls: newCalls.count)
    // A busy or CPU sample counts once; lag samples come every period.
    lastBusyPercent = nil
    lastCpuPercent = nil
    expectedNs = Self.now() + periodNs
  }

  private func report(lagMs: Double, queueDelayMs: Double, queuedNewCalls: Int) {
    guard let overload = overload(),
      overload.observeLoop(
        lagMs: lagMs, queueDelayMs: queueDelayMs, busyPercent: lastBusyPercent,
        queuedNewCalls: queuedNewCalls,
        cpuPercent: lastCpuPercent)
    else { return }
    let metadata: Logger.Metadata = [
      "loop_lag_ms": "\(overload.smoothedLagUs / 1000)",
      "queue_delay_ms": "\(overload.smoothedQueueDelayUs / 1000)",
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

  /// The calling thread's CPU time in nanoseconds.
  static func threadCPUTime() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
  }

  /// CLOCK_MONOTONIC in nanoseconds.
  static func now() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
  }
}
