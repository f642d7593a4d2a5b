import CSocket
import Glibc
import NIOCore
import SIPCore

/// What one flush of the outboxes did.
struct UDPFlushReport {
  /// Datagrams the kernel took.
  var sent = 0
  /// Datagrams dropped because the socket's send buffer was full (`EAGAIN`, `ENOBUFS`).
  var dropped = 0
  /// Datagrams the kernel refused, with the `errno`.
  var failed: [(destination: Endpoint, code: CInt)] = []
}

/// The send side of one UDP listener socket: datagrams queued during an event loop
/// tick go out together with `sendmmsg` (Linux).
///
/// It writes to its own `dup` of the listener's descriptor, not through NIO: NIO's
/// datagram channel closes itself on most write errors, and a datagram the kernel
/// refuses (`EINVAL`, `EACCES`, `ENETUNREACH`, `EPERM`) must cost that datagram
/// only. Such a datagram is reported and skipped; a full send buffer drops the rest
/// of the batch (UDP is lossy; retransmissions cover it). Confined to the UDP loop
/// (handed to it once, at bind).
final class DatagramOutbox: @unchecked Sendable {
  /// Datagrams per `sendmmsg` call.
  static let batchSize = 64

  /// The descriptor this outbox owns (closed in `deinit`).
  let fd: CInt
  /// The socket is bound to a loopback address: only loopback peers are reachable.
  let isLoopback: Bool

  private struct Pending {
    var bytes: ByteBuffer
    var destination: SocketDestination
    var endpoint: Endpoint
  }

  private var pending: [Pending] = []
  private let headers = UnsafeMutablePointer<CSocket_mmsghdr>.allocate(capacity: batchSize)
  private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: batchSize)
  private let names = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: batchSize)

  init(fd: CInt, isLoopback: Bool) {
    self.fd = fd
    self.isLoopback = isLoopback
    self.pending.reserveCapacity(Self.batchSize)
  }

  deinit {
    close(self.fd)
    self.headers.deallocate()
    self.vectors.deallocate()
    self.names.deallocate()
  }

  var hasPending: Bool { !self.pending.isEmpty }

  func enqueue(_ bytes: ByteBuffer, to destination: SocketDestination, endpoint: Endpoint) {
    self.pending.append(Pending(bytes: bytes, destination: destination, endpoint: endpoint))
  }

  /// Sends everything queued; the queue is empty afterwards.
  func flush(into report: inout UDPFlushReport) {
    var start = 0
    while start < self.pending.count {
      let count = min(Self.batchSize, self.pending.count - start)
      let stopped = self.send(start..<(start + count), into: &report)
      if stopped {
        report.dropped += self.pending.count - start - count
        break
      }
      start += count
    }
    self.pending.removeAll(keepingCapacity: self.pending.count <= 4 * Self.batchSize)
  }

  /// Sends one batch (at most `batchSize`). Returns `true` if the send buffer is
  /// full, the rest of the batch counted as dropped.
  private func send(_ batch: Range<Int>, into report: inout UDPFlushReport) -> Bool {
    // The pointers stay valid: `pending` holds the buffers until the calls return.
    for (slot, index) in batch.enumerated() {
      self.names[slot] = self.pending[index].destination.storage
      self.pending[index].bytes.withUnsafeReadableBytes { bytes in
        self.vectors[slot] = iovec(
          iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
      }
      self.headers[slot] = CSocket_mmsghdr(
        msg_hdr: msghdr(
          msg_name: UnsafeMutableRawPointer(self.names + slot),
          msg_namelen: self.pending[index].destination.length, msg_iov: self.vectors + slot, msg_iovlen: 1,
          msg_control: nil, msg_controllen: 0, msg_flags: 0),
        msg_len: 0)
    }
    var offset = 0
    while offset < batch.count {
      let result = self.sendSome(from: offset, count: batch.count - offset)
      if result > 0 {
        report.sent += result
        offset += result
        continue
      }
      let code = errno
      switch code {
      case EINTR:
        continue
      case EAGAIN, EWOULDBLOCK, ENOBUFS:
        report.dropped += batch.count - offset
        return true
      default:
        report.failed.append((self.pending[batch.lowerBound + offset].endpoint, code))
        offset += 1
      }
    }
    return false
  }

  /// One system call for the slots `from..<from + count`: how many went out, or -1.
  private func sendSome(from slot: Int, count: Int) -> Int {
    Int(CSocket_sendmmsg(self.fd, self.headers + slot, CUnsignedInt(count), CInt(MSG_DONTWAIT)))
  }
}
