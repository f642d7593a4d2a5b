import NIOCore
import SIPCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Measures how long datagrams wait in the kernel's receive queue of each
/// UDP listener before the core loop reads them (docs/overload.md): it sends
/// the listener a small probe datagram from a socket of its own and notes
/// when the loop hands it back (`arrived`). The probe waits behind every
/// datagram queued before it, so its age when read is the age of the
/// datagrams the loop reads now, on any kernel and network card (the bytes
/// in the queue, `rx_queue`, count the kernel's buffers, whose size per
/// datagram depends on both). One probe per listener is in flight at a time;
/// one that is not back yet counts with its age so far, so a queue that does
/// not move shows at once. A probe the kernel dropped (a full queue) is sent
/// again after `resendAfterNs`.
///
/// Used on the core loop only (the loop that reads the UDP listeners).
/// The probe datagrams are counted as received datagrams, never reach the
/// proxy core nor the capture, and get no answer.
public final class UDPQueueAgeProbe {
  /// What a probe datagram starts with: a zero byte, which no SIP message does.
  static let magic: [UInt8] = Array("\0didtron-queue-probe".utf8)
  /// The magic and an 8-byte sequence number.
  public static let length = magic.count + 8

  struct Target {
    let listener: Endpoint
    let fd: CInt
    let destination: SocketAddress
    /// The probe socket's own port: where the listener sees probes come from.
    let sourcePort: Int
    var sequence: UInt64 = 0
    var sentAtNs: Int64?
    /// The age of the last probe that came back and was not reported yet.
    var arrivedAgeNs: Int64?
  }

  private(set) var targets: [Target] = []
  let resendAfterNs: Int64
  /// Probes sent again because the first did not come back in time.
  public private(set) var lost = 0

  /// A probe socket per UDP listener in `listeners` (others are skipped),
  /// bound to the loopback address of its family; a listener on a wildcard
  /// address is reached on loopback.
  public init(listeners: [Endpoint], resendAfterMs: Int64 = 1_000) throws {
    resendAfterNs = resendAfterMs * 1_000_000
    for listener in listeners where listener.transport == .udp {
      let loopback = listener.isIPv6 ? "::1" : "127.0.0.1"
      let wildcard = listener.host == "0.0.0.0" || listener.host == "::"
      let destination = try SocketAddress(
        ipAddress: wildcard ? loopback : listener.host, port: listener.port)
      let (fd, port) = try Self.makeSocket(bindTo: SocketAddress(ipAddress: loopback, port: 0))
      targets.append(Target(listener: listener, fd: fd, destination: destination, sourcePort: port))
    }
  }

  deinit {
    for target in targets { UDPSocket.close(target.fd) }
  }

  /// Whether `bytes` look like a probe (its length and magic; the sender is checked by `arrived`).
  public static func isProbe(_ bytes: ByteBuffer) -> Bool {
    bytes.readableBytes == length
      && bytes.withUnsafeReadableBytes { raw in raw.starts(with: magic) }
  }

  /// A probe that came back to `message.local` from one of the probe
  /// sockets, read at `nowNs` (CLOCK_MONOTONIC): its age is noted. False
  /// when the message is not one of ours (it goes on as any datagram).
  public func arrived(_ message: InboundMessage, nowNs: Int64) -> Bool {
    guard message.source.transport == .udp, Self.isProbe(message.bytes) else { return false }
    guard
      let index = targets.firstIndex(where: {
        $0.sourcePort == message.source.port && $0.listener.port == message.local.port
      })
    else { return false }
    let sequence = message.bytes.getInteger(at: message.bytes.readerIndex + Self.magic.count, as: UInt64.self)
    guard let sentAt = targets[index].sentAtNs, sequence == targets[index].sequence else { return true }
    targets[index].arrivedAgeNs = max(targets[index].arrivedAgeNs ?? 0, nowNs - sentAt)
    targets[index].sentAtNs = nil
    return true
  }

  /// The queue delay now, in ms: the worst over the listeners of the age of
  /// the probe that came back since the last sample and of the one still
  /// on its way. Sends the next probe where none is on its way.
  public func sample(nowNs: Int64) -> Double {
    var worstNs: Int64 = 0
    for index in targets.indices {
      if let age = targets[index].arrivedAgeNs {
        worstNs = max(worstNs, age)
        targets[index].arrivedAgeNs = nil
      }
      if let sentAt = targets[index].sentAtNs {
        worstNs = max(worstNs, nowNs - sentAt)
        guard nowNs - sentAt >= resendAfterNs else { continue }
        lost += 1
      }
      send(index, nowNs: nowNs)
    }
    return Double(worstNs) / 1_000_000
  }

  private func send(_ index: Int, nowNs: Int64) {
    targets[index].sequence &+= 1
    var datagram = Self.magic
    withUnsafeBytes(of: targets[index].sequence.bigEndian) { datagram.append(contentsOf: $0) }
    let sent = datagram.withUnsafeBytes { bytes in
      targets[index].destination.withSockAddr { address, length in
        sendto(targets[index].fd, bytes.baseAddress, bytes.count, 0, address, socklen_t(length))
      }
    }
    // Not sent (a full send buffer): tried again at the next sample.
    targets[index].sentAtNs = sent == Self.length ? nowNs : nil
  }

  private static func makeSocket(bindTo address: SocketAddress) throws -> (CInt, Int) {
    let fd = try UDPSocket.makeBound(address, ipv6Only: address.protocol == .inet6)
    // Never blocks the loop: a full send buffer fails the send, tried again at the next sample.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let named = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else {
      let code = errno
      UDPSocket.close(fd)
      throw SocketCallError(call: "getsockname", code: code)
    }
    let family = CInt(storage.ss_family)
    let port = withUnsafePointer(to: &storage) { pointer in
      family == AF_INET6
        ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
        : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
    }
    return (fd, Int(UInt16(bigEndian: port)))
  }
}
