import Foundation
import Glibc
import Testing

@testable import SwitchDaemon

/// The queue reader against the kernel itself: a UDP socket that is sent to
/// and never read has its datagrams in its receive queue.
@Suite struct UDPQueueReaderTests {
  /// A bound IPv4 UDP socket on 127.0.0.1 (port chosen by the kernel) and its port.
  func boundSocket() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    try #require(fd >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    try #require(bound == 0)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }

  @Test func datagramsNotReadYetAreCountedForOurPortOnly() throws {
    let listener = try boundSocket()
    let other = try boundSocket()
    defer {
      close(listener.fd)
      close(other.fd)
    }
    var reader = UDPQueueReader(ports: [listener.port])
    #expect(reader.queuedBytes() == 0)
    var destination = sockaddr_in()
    destination.sin_family = sa_family_t(AF_INET)
    destination.sin_addr.s_addr = inet_addr("127.0.0.1")
    let payload = [UInt8](repeating: 0x41, count: 500)
    for port in [listener.port, listener.port, listener.port, other.port] {
      destination.sin_port = UInt16(port).bigEndian
      let sent = withUnsafePointer(to: &destination) { to in
        to.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(other.fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      try #require(sent == payload.count)
    }
    // Three datagrams of 500 bytes, with the kernel's per-datagram overhead.
    let queued = reader.queuedBytes()
    #expect(queued >= 1_500)
    #expect(queued < 3 * 500 * 8)
    #expect(UDPQueueReader(ports: []).queuedBytesOnce() == 0)
  }

  /// A table of megabytes (a host with thousands of UDP sockets): every line
  /// is read, ours wherever it falls, including across a chunk's end and as
  /// the last line without a newline.
  @Test(arguments: [256, 1000, 16 * 1024])
  func everyLineOfALongTableIsRead(chunkBytes: Int) throws {
    let header =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
    func line(_ slot: Int, port: Int, queued: Int) -> String {
      let hexPort = String(port, radix: 16, uppercase: true)
      let hexQueue = String(queued, radix: 16, uppercase: true)
      return
        "\(slot): 0100007F:\(hexPort) 00000000:0000 07 00000000:\(String(repeating: "0", count: 8 - hexQueue.count))"
        + "\(hexQueue) 00:00000000 00000000     0        0 \(10_000 + slot) 2 0000000000000000 0"
    }
    var text = header
    for slot in 0..<20_000 { text += line(slot, port: 20_000 + slot % 1000, queued: 7) + "\n" }
    text += line(20_000, port: 5070, queued: 0x1234) + "\n"
    for slot in 20_001..<20_500 { text += line(slot, port: 30_000, queued: 9) + "\n" }
    text += line(20_500, port: 5070, queued: 0x10)  // no newline at the end
    let path = "/tmp/didtron-udp-table-\(getpid())-\(chunkBytes)"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { unlink(path) }
    #expect(text.utf8.count > 2_000_000)
    var reader = UDPQueueReader(ports: [5070], paths: [path], chunkBytes: chunkBytes)
    #expect(reader.queuedBytes() == 0x1234 + 0x10)
    var others = UDPQueueReader(ports: [20_007], paths: [path], chunkBytes: chunkBytes)
    #expect(others.queuedBytes() == 20 * 7)
  }
}

extension UDPQueueReader {
  fileprivate func queuedBytesOnce() -> Int {
    var copy = self
    return copy.queuedBytes()
  }
}
