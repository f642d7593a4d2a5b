import Glibc

/// How many bytes wait in the kernel's receive queues of the switch's UDP
/// sockets (the `rx_queue` of `/proc/net/udp` and `/proc/net/udp6` for the
/// listening ports): datagrams the core loop has not read yet. With the rate
/// at which the loop handles bytes this gives the age of the datagrams it
/// reads now (`LoopLoadProbe`). Linux only; elsewhere, or when the files
/// cannot be read, it reports 0.
struct UDPQueueReader {
  private let ports: Set<Int>
  private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

  init(ports: Set<Int>) { self.ports = ports }

  /// Bytes queued now on the listening ports, all families together.
  mutating func queuedBytes() -> Int {
    guard !ports.isEmpty else { return 0 }
    return read("/proc/net/udp") + read("/proc/net/udp6")
  }

  private mutating func read(_ path: String) -> Int {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var total = 0
    var length = 0
    while length < buffer.count {
      let count = buffer.withUnsafeMutableBytes { raw in
        Glibc.read(fd, raw.baseAddress! + length, raw.count - length)
      }
      guard count > 0 else { break }
      length += count
    }
    var lineStart = 0
    for index in 0..<length where buffer[index] == UInt8(ascii: "\n") {
      total += queued(inLine: lineStart..<index)
      lineStart = index + 1
    }
    return total
  }

  /// `sl local_address rem_address st tx_queue:rx_queue ...`: the rx_queue
  /// (hex) when the local port (hex, after the last colon) is ours.
  private func queued(inLine range: Range<Int>) -> Int {
    var fields: [Range<Int>] = []
    var start: Int?
    for index in range {
      let isSpace = buffer[index] == UInt8(ascii: " ")
      if isSpace, let begun = start {
        fields.append(begun..<index)
        start = nil
        if fields.count == 5 { break }
      } else if !isSpace, start == nil {
        start = index
      }
    }
    guard fields.count == 5, let port = hex(after: UInt8(ascii: ":"), in: fields[1]), ports.contains(port),
      let queued = hex(after: UInt8(ascii: ":"), in: fields[4])
    else { return 0 }
    return queued
  }

  private func hex(after separator: UInt8, in field: Range<Int>) -> Int? {
    guard let colon = field.last(where: { buffer[$0] == separator }) else { return nil }
    var value = 0
    for index in (colon + 1)..<field.upperBound {
      let byte = buffer[index]
      let digit: Int
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
      default: return nil
      }
      value = value * 16 + digit
    }
    return value
  }
}
