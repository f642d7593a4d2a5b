import NIOCore
import Proxy
import SIPTransport

/// Everything that lives on the core event loop: the proxy core behind its
/// inbound receiver (which decodes), and the work the load probe reads.
/// Only ever touched on `loop`.
final class SwitchCore {
  let loop: any EventLoop
  let inbound: InboundReceiver
  var proxy: ProxyCore { inbound.proxy }

  init(loop: any EventLoop, inbound: InboundReceiver) {
    self.loop = loop
    self.inbound = inbound
  }

  /// Wall-clock nanoseconds spent handling messages and timers since the
  /// last `takeWork()` (for the load probe: the busy share).
  private var busyNanoseconds: Int64 = 0
  /// The probe through the UDP listeners' receive queues (the load probe
  /// samples it; its datagrams come back here).
  var queueAge: UDPQueueAgeProbe?

  func takeWork() -> Int64 {
    defer { busyNanoseconds = 0 }
    return busyNanoseconds
  }

  /// Fires the proxy core's due timers (retransmissions count as work too).
  func tick() {
    let started = LoopLoadProbe.now()
    defer { busyNanoseconds += LoopLoadProbe.now() - started }
    proxy.tick()
  }

  /// One message from the transport layer, on the core loop: its bytes go
  /// to the proxy's inbound receiver as they are.
  func receive(_ message: InboundMessage) {
    loop.preconditionInEventLoop()
    let started = LoopLoadProbe.now()
    if message.bytes.readableBytes == UDPQueueAgeProbe.length, let queueAge,
      queueAge.arrived(message, nowNs: started)
    {
      return
    }
    defer { busyNanoseconds += LoopLoadProbe.now() - started }
    message.bytes.withUnsafeReadableBytes { inbound.receive($0, from: message.source, local: message.local) }
  }

  /// The counters and gauges of the core, for the metrics.
  var reading: SwitchReading.Core {
    loop.preconditionInEventLoop()
    return SwitchReading.Core(
      counters: proxy.counters, malformed: inbound.counters.malformed, dropped: inbound.counters.dropped,
      transactions: proxy.transactionCount, dialogs: proxy.dialogCount,
      registeredContacts: proxy.registrar?.bindingCount ?? 0,
      authentication: proxy.registrar?.throttle.counters ?? .init(),
      bindingStore: (proxy.registrar?.store as? BindingSync)?.counters,
      creditAccounts: proxy.credit?.accountCount ?? 0, draining: proxy.isDraining,
      overload: OverloadReading(proxy.overload), supplierHealth: proxy.supplierHealth.states,
      quality: QualityReading(
        carriers: proxy.quality.carriers, refusals: proxy.quality.refusals,
        activeByCarrier: proxy.liveCalls.carrierCounts,
        activeByInterconnect: proxy.liveCalls.interconnectCounts))
  }

  /// The totals the daemon logs when it stops.
  var totals: String {
    let c = proxy.counters
    return
      "requests=\(c.requestsReceived) responses=\(c.responsesReceived) forwarded_invites=\(c.invitesForwarded) "
      + "answered=\(c.callsAnswered) failed=\(c.callsFailed) cancelled=\(c.callsCancelled) "
      + "ended=\(c.callsEnded) open_transactions=\(proxy.transactionCount) dialogs=\(proxy.dialogCount) "
      + "malformed=\(inbound.counters.malformed) dropped=\(inbound.counters.dropped)"
  }
}
