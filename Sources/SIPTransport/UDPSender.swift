import NIOCore
import SIPCore

/// Sends datagrams out of the UDP listener sockets. Confined to the UDP event loop:
/// every member is used on that loop only, so the hot path takes no lock.
///
/// The source of a datagram is the listener of the destination's address family,
/// so the source port is the listening port (RFC 3581 `rport` depends on it).
final class UDPSender: @unchecked Sendable {
  /// The largest UDP payload over IPv4 (65 535 - 20 - 8).
  static let maxPayload = 65_507
  /// Destinations whose `SocketAddress` is cached before the cache starts over.
  static let addressCacheLimit = 16_384

  let loop: any EventLoop
  private var ipv4: (any Channel)?
  private var ipv6: (any Channel)?
  private var addressCache: [Endpoint: SocketAddress] = [:]
  private var ipv4NeedsFlush = false
  private var ipv6NeedsFlush = false
  private var flushScheduled = false

  init(loop: any EventLoop) {
    self.loop = loop
  }

  /// Makes `channel` the source of datagrams to its address family, unless one is set.
  func add(_ channel: any Channel, isIPv6: Bool) {
    self.loop.assertInEventLoop()
    if isIPv6 {
      if self.ipv6 == nil { self.ipv6 = channel }
    } else {
      if self.ipv4 == nil { self.ipv4 = channel }
    }
  }

  func removeAll() {
    self.loop.assertInEventLoop()
    self.ipv4 = nil
    self.ipv6 = nil
    self.addressCache.removeAll()
  }

  /// Writes one datagram; flushes once per event loop tick. Returns `false` if it
  /// cannot be sent (no listener of that family, no numeric address, too large).
  /// Write errors after that are not reported: UDP is fire-and-forget and the
  /// transaction layer's retransmissions and timeouts cover a lost datagram.
  func send(_ bytes: ByteBuffer, to destination: Endpoint) -> Bool {
    self.loop.assertInEventLoop()
    let isIPv6 = destination.isIPv6
    guard let channel = isIPv6 ? self.ipv6 : self.ipv4, bytes.readableBytes <= Self.maxPayload,
      let address = self.socketAddress(of: destination)
    else { return false }
    channel.write(AddressedEnvelope(remoteAddress: address, data: bytes), promise: nil)
    if isIPv6 { self.ipv6NeedsFlush = true } else { self.ipv4NeedsFlush = true }
    if !self.flushScheduled {
      self.flushScheduled = true
      self.loop.execute { self.flush() }
    }
    return true
  }

  private func flush() {
    self.flushScheduled = false
    if self.ipv4NeedsFlush {
      self.ipv4NeedsFlush = false
      self.ipv4?.flush()
    }
    if self.ipv6NeedsFlush {
      self.ipv6NeedsFlush = false
      self.ipv6?.flush()
    }
  }

  private func socketAddress(of destination: Endpoint) -> SocketAddress? {
    if let cached = self.addressCache[destination] { return cached }
    guard let address = destination.socketAddress else { return nil }
    if self.addressCache.count >= Self.addressCacheLimit {
      self.addressCache.removeAll(keepingCapacity: true)
    }
    self.addressCache[destination] = address
    return address
  }
}
