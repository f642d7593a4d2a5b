import Logging
import NIOCore
import SIPCore
import SIPTransport
import ServiceLifecycle

/// The core's clock hand: fires the proxy core's due timers every 10 ms, and
/// the load probe that samples the loop's lag and the UDP receive queues
/// (docs/overload.md). Both stop at graceful shutdown, after the drain.
struct TickerService: Service {
  let core: CoreHandle
  let bound: [Endpoint]
  let logger: Logger

  func run() async throws {
    let box = core.box
    let loop = core.loop
    let ticker = loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
      box.value?.tick()
    }
    let logger = self.logger
    let bound = self.bound
    let loadProbe = try await loop.submit {
      let queueAge: UDPQueueAgeProbe?
      do {
        queueAge = try UDPQueueAgeProbe(listeners: bound)
      } catch {
        queueAge = nil
        logger.error(
          "no probe through the UDP receive queues: overload control sees no queue delay",
          metadata: ["error": "\(error)"])
      }
      box.value?.queueAge = queueAge
      return LoopLoadProbe.start(
        on: loop, logger: logger, queueAge: queueAge, work: { box.value?.takeWork() ?? 0 },
        newCallWait: { box.value?.newCallWait(nowNs: $0) ?? (0, 0) }, overload: { box.value?.proxy.overload })
    }.get()
    try? await gracefulShutdown()
    ticker.cancel()
    loadProbe.cancel()
  }
}
