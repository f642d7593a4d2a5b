import Logging
import NIOCore
import SIPCore
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
    let udpPorts = Set(bound.filter { $0.transport == .udp }.map(\.port))
    let logger = self.logger
    let loadProbe = try await loop.submit {
      LoopLoadProbe.start(
        on: loop, logger: logger, udpQueue: UDPQueueReader(ports: udpPorts),
        work: { box.value?.takeWork() ?? (0, 0) }, overload: { box.value?.proxy.overload })
    }.get()
    try? await gracefulShutdown()
    ticker.cancel()
    loadProbe.cancel()
  }
}
