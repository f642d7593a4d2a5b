import NIOCore
import Proxy
import SIPCore
import SIPTransport

/// Everything that lives on the core event loop: the proxy core behind its
/// inbound receiver (which decodes), and the work the load probe reads.
/// Only ever touched on `loop`.
final class SwitchCore {
  let loop: any EventLoop
  let inbound: InboundReceiver
  var proxy: ProxyCore { inbound.proxy }

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

  /// New INVITEs and CANCELs, waiting behind every other message.
  private(set) var newCalls: NewCallQueue
  private var drainPending = false
  /// How long one turn through `newCalls` may run before the loop reads its
  /// sockets again.
  static let drainTurnNs: Int64 = 1_000_000
  /// How long the loop rests between two turns while `newCalls` is not empty:
  /// long enough for NIO to poll its sockets first (it runs tasks that are due
  /// before it polls again).
  static let drainPause = TimeAmount.microseconds(20)

  init(loop: any EventLoop, inbound: InboundReceiver, newCallCapacity: Int = 8192) {
    self.loop = loop
    self.inbound = inbound
    self.newCalls = NewCallQueue(capacity: newCallCapacity)
  }

  /// One message from the transport layer, on the core loop. A request that
  /// may start a call waits in `newCalls`; anything else (responses, ACK,
  /// BYE, in-dialog requests) goes to the proxy's inbound receiver now.
  func receive(_ message: InboundMessage) {
    loop.preconditionInEventLoop()
    let started = LoopLoadProbe.now()
    if message.bytes.readableBytes == UDPQueueAgeProbe.length, let queueAge,
      queueAge.arrived(message, nowNs: started)
    {
      return
    }
    defer { busyNanoseconds += LoopLoadProbe.now() - started }
    if message.bytes.withUnsafeReadableBytes({ NewCallSniff.mayStartCall($0) }) {
      newCalls.append(message, nowNs: started)
      scheduleDrain(pause: false)
      return
    }
    handle(message)
  }

  private func handle(_ message: InboundMessage) {
    message.bytes.withUnsafeReadableBytes { inbound.receive($0, from: message.source, local: message.local) }
  }

  /// Right after the reads in hand (`pause: false`), or after a pause that
  /// lets the loop read its sockets first.
  private func scheduleDrain(pause: Bool) {
    guard !drainPending else { return }
    drainPending = true
    let isolated = loop.assumeIsolated()
    if pause {
      isolated.scheduleTask(in: Self.drainPause) { self.drainNewCalls() }
    } else {
      isolated.execute { self.drainNewCalls() }
    }
  }

  /// One turn through `newCalls`: oldest first, for at most `drainTurnNs`.
  /// Each INVITE's wait is told to the overload guard, which sheds those that
  /// waited too long while it limits.
  private func drainNewCalls() {
    drainPending = false
    let started = LoopLoadProbe.now()
    var now = started
    let overload = proxy.overload
    while now - started < Self.drainTurnNs, let entry = newCalls.popFirst() {
      overload.inviteWaitUs = (now - entry.arrivedNs) / 1000
      let message = entry.message
      message.bytes.withUnsafeReadableBytes {
        inbound.receiveNewCall($0, from: message.source, local: message.local)
      }
      now = LoopLoadProbe.now()
    }
    overload.inviteWaitUs = 0
    busyNanoseconds += now - started
    if !newCalls.isEmpty { scheduleDrain(pause: true) }
  }

  /// How long the oldest new call has waited in `newCalls`, and how many wait.
  func newCallWait(nowNs: Int64) -> (waitNs: Int64, count: Int) {
    (newCalls.headAgeNs(nowNs: nowNs), newCalls.count)
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
      overload: OverloadReading(proxy.overload, newCalls: newCalls),
      supplierHealth: proxy.supplierHealth.states,
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
