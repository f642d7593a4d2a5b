import Glibc

/// How many bytes wait in the kernel's receive queues of the switch's UDP
/// sockets (the `rx_queue` of `/proc/net/udp` and `/proc/net/udp6` for the
/// listening ports): datagrams the core loop has not read yet. With the rate
/// at which the loop handles bytes this gives the age of the datagrams it
/// reads now (`LoopLoadProbe`). Linux only; elsewhere, or when the files
/// cannot be read, it reports 0.
struct UDPQueueReader {
  private let ports: Set<Int>
  /// The tables read (tests: files of their own).
  private let paths: [String]
  /// One chunk of a table: it is read in chunks, a line cut at a chunk's end
  /// carried into the next, so a host with thousands of UDP sockets (a
  /// table of megabytes) has every line read, ours wherever it falls.
  private var buffer: [UInt8]

  init(ports: Set<Int>, paths: [String] = ["/proc/net/udp", "/proc/net/udp6"], chunkBytes: Int = 16 * 1024) {
    self.ports = ports
    self.paths = paths
    self.buffer = [UInt8](repeating: 0, count: max(chunkBytes, 256))
  }

  /// Bytes queued now on the listening ports, all families together.
  mutating func queuedBytes() -> Int {
    guard !ports.isEmpty else { return 0 }
    var total = 0
    for path in paths { total += read(path) }
    return total
  }

  private mutating func read(_ path: String) -> Int {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var total = 0
    var length = 0  // bytes in the buffer: a carried partial line, then what was read
    while true {
      let count = buffer.withUnsafeMutableBytes { raw in
        Glibc.read(fd, raw.baseAddress! + length, raw.count - length)
      }
      guard count > 0 else { break }
      length += count
      var lineStart = 0
      for index in 0..<length where buffer[index] == UInt8(ascii: "\n") {
        total += queued(inLine: lineStart..<index)
        lineStart = index + 1
      }
      if lineStart == 0 && length == buffer.count {
        length = 0  // one line longer than a chunk: no table line is; skip it
        continue
      }
      // Carry the cut line to the front for the next chunk.
      buffer.withUnsafeMutableBytes { raw in
        _ = memmove(raw.baseAddress!, raw.baseAddress! + lineStart, length - lineStart)
      }
      length -= lineStart
    }
    if length > 0 { total += queued(inLine: 0..<length) }
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
