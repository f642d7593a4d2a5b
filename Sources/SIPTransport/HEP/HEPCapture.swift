import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// HEP capture (`capture.hep_address`; docs/operations.md): a HEP v3 copy
/// of every SIP message the switch receives and sends, over UDP to one
/// collector, with the message's Call-ID as correlation id.
///
/// It never makes the caller wait: a copy is encoded where the message is
/// (the core loop) and handed to a socket on its own event loop; at most
/// `queueSize` copies wait there, the ones after are dropped and counted.
/// A collector that is down only costs failed sends, counted.
public final class HEPCapture: Sendable {
  private struct State {
    var pending = 0
    var counters = HEPCounters()
  }

  private let channel: any Channel
  private let group: MultiThreadedEventLoopGroup
  private let collector: SocketAddress
  private let captureID: UInt32
  private let queueSize: Int
  private let state = NIOLockedValueBox(State())

  private init(
    channel: any Channel, group: MultiThreadedEventLoopGroup, collector: SocketAddress, captureID: UInt32,
    queueSize: Int
  ) {
    self.channel = channel
    self.group = group
    self.collector = collector
    self.captureID = captureID
    self.queueSize = queueSize
  }

  /// Binds a UDP socket (any port, the collector's family) on a thread of its own.
  public static func start(collector: Endpoint, captureID: UInt32, queueSize: Int) async throws -> HEPCapture
  {
    let address = try SocketAddress(ipAddress: collector.host, port: collector.port)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
      let channel = try await DatagramBootstrap(group: group)
        .bind(host: address.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
      return HEPCapture(
        channel: channel, group: group, collector: address, captureID: captureID, queueSize: max(1, queueSize)
      )
    } catch {
      try? await group.shutdownGracefully()
      throw error
    }
  }

  public var counters: HEPCounters { state.withLockedValue { $0.counters } }

  /// A copy of `message` (one whole SIP message) that went from `source` to
  /// `destination` now.
  public func capture(_ message: ByteBuffer, source: Endpoint, destination: Endpoint) {
    let admitted = state.withLockedValue { state -> Bool in
      guard state.pending < queueSize else {
        state.counters.dropped += 1
        return false
      }
      state.pending += 1
      return true
    }
    guard admitted else { return }
    var packet = channel.allocator.buffer(capacity: message.readableBytes + 128)
    guard Self.write(message, source: source, destination: destination, captureID: captureID, into: &packet)
    else {
      finished(dropped: true)
      return
    }
    channel.writeAndFlush(AddressedEnvelope(remoteAddress: collector, data: packet)).whenComplete {
      [self] result in
      switch result {
      case .success: finished(sent: true)
      case .failure: finished()
      }
    }
  }

  private func finished(sent: Bool = false, dropped: Bool = false) {
    state.withLockedValue { state in
      state.pending -= 1
      if sent {
        state.counters.sent += 1
      } else if dropped {
        state.counters.dropped += 1
      } else {
        state.counters.failed += 1
      }
    }
  }

  /// Writes the HEP packet of one copy, timestamped now, into `packet`
  /// (the message's bytes copied once); false when too big for HEP.
  static func write(
    _ message: ByteBuffer, source: Endpoint, destination: Endpoint, captureID: UInt32,
    into packet: inout ByteBuffer
  ) -> Bool {
    let (sourceIP, destinationIP) = HEPAddressBytes.pair(source.host, destination.host)
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let header = HEPPacket(
      sourceIP: sourceIP, destinationIP: destinationIP, sourcePort: UInt16(truncatingIfNeeded: source.port),
      destinationPort: UInt16(truncatingIfNeeded: destination.port),
      ipProtocol: source.transport == .udp ? HEPPacket.protocolUDP : HEPPacket.protocolTCP,
      seconds: UInt32(truncatingIfNeeded: now.tv_sec), microseconds: UInt32(now.tv_nsec / 1000),
      captureID: captureID, payload: [])
    return message.withUnsafeReadableBytes { bytes in
      let callID = RawSIPHead(scanning: bytes).callID.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
      return header.write(into: &packet, payload: bytes, correlationID: callID)
    }
  }

  /// The HEP bytes of one copy (tests).
  static func packet(_ message: ByteBuffer, source: Endpoint, destination: Endpoint, captureID: UInt32)
    -> [UInt8]?
  {
    var packet = ByteBufferAllocator().buffer(capacity: message.readableBytes + 128)
    guard write(message, source: source, destination: destination, captureID: captureID, into: &packet) else {
      return nil
    }
    return Array(packet.readableBytesView)
  }

  public func stop() async {
    try? await channel.close()
    try? await group.shutdownGracefully()
  }
}
