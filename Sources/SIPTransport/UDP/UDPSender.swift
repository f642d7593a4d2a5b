import NIOCore
import SIPCore

/// Sends datagrams out of the UDP listener sockets. Confined to the UDP event loop:
/// every member is used on that loop only, so the hot path takes no lock.
///
/// The source of a datagram is the listener of the destination's address family,
/// so the source port is the listening port (RFC 3581 `rport` depends on it).
/// Datagrams queue in that listener's `DatagramOutbox` and go out once per event
/// loop tick; what the flush did is handed to `report`, on the loop.
final class UDPSender: @unchecked Sendable {
  /// The largest UDP payload over IPv4 (65 535 - 20 - 8).
  static let maxPayload = 65_507
  /// Destinations cached before the cache starts over.
  static let addressCacheLimit = 16_384

  /// What `send` did with a datagram.
  enum Outcome: Equatable {
    case queued
    /// A destination that cannot be a peer; nothing was queued.
    case refused(UnusableDestination)
    /// No listener of that family, no numeric address, or too large.
    case unsendable
  }

  private enum CachedDestination {
    case usable(SocketDestination)
    case unusable(UnusableDestination)
  }

  let loop: any EventLoop
  private let report: (UDPFlushReport) -> Void
  private var ipv4: DatagramOutbox?
  private var ipv6: DatagramOutbox?
  private var addressCache: [Endpoint: CachedDestination] = [:]
  private var flushScheduled = false

  init(loop: any EventLoop, report: @escaping (UDPFlushReport) -> Void) {
    self.loop = loop
    self.report = report
  }

  /// Makes `outbox` the source of datagrams to its address family, unless one is set.
  /// Returns whether it was taken.
  func add(_ outbox: DatagramOutbox, isIPv6: Bool) -> Bool {
    self.loop.assertInEventLoop()
    if isIPv6 {
      guard self.ipv6 == nil else { return false }
      self.ipv6 = outbox
    } else {
      guard self.ipv4 == nil else { return false }
      self.ipv4 = outbox
    }
    self.addressCache.removeAll()
    return true
  }

  func removeAll() {
    self.loop.assertInEventLoop()
    self.flush()
    self.ipv4 = nil
    self.ipv6 = nil
    self.addressCache.removeAll()
  }

  /// Queues one datagram; the queue is flushed once per event loop tick.
  func send(_ bytes: ByteBuffer, to destination: Endpoint) -> Outcome {
    self.loop.assertInEventLoop()
    guard let outbox = destination.isIPv6 ? self.ipv6 : self.ipv4, bytes.readableBytes <= Self.maxPayload
    else {
      return .unsendable
    }
    let address: SocketDestination
    switch self.destination(destination, from: outbox) {
    case .usable(let usable): address = usable
    case .unusable(let reason): return .refused(reason)
    case nil: return .unsendable
    }
    outbox.enqueue(bytes, to: address, endpoint: destination)
    if !self.flushScheduled {
      self.flushScheduled = true
      self.loop.execute { self.flush() }
    }
    return .queued
  }

  private func flush() {
    self.flushScheduled = false
    var report = UDPFlushReport()
    if let ipv4, ipv4.hasPending { ipv4.flush(into: &report) }
    if let ipv6, ipv6.hasPending { ipv6.flush(into: &report) }
    self.report(report)
  }

  private func destination(_ destination: Endpoint, from outbox: DatagramOutbox) -> CachedDestination? {
    if let cached = self.addressCache[destination] { return cached }
    guard let address = destination.socketAddress else {
      // A port out of range on a numeric address is refused; a name cannot be sent to.
      return (destination.port < 1 || destination.port > 65535) ? .unusable(.invalidPort) : nil
    }
    let entry: CachedDestination =
      if let reason = UnusableDestination.check(address, fromLoopback: outbox.isLoopback) {
        .unusable(reason)
      } else {
        .usable(SocketDestination(address))
      }
    if self.addressCache.count >= Self.addressCacheLimit {
      self.addressCache.removeAll(keepingCapacity: true)
    }
    self.addressCache[destination] = entry
    return entry
  }
}
