/// The framing of every line the Store writes to a local file that must
/// survive a crash (the call-record journal, the live-call checkpoints):
///
///     <crc32>\t<payload>\n
///
/// `<crc32>` is eight lower-case hex digits, the CRC-32 (IEEE) of the
/// payload bytes, so a line torn by a crash or damaged on disk is recognised
/// rather than misread. The payload must hold no `\n`.
enum ChecksummedLine {
  /// Starts a line at the end of `buffer`; append the payload, then `finish`.
  static func begin(_ buffer: inout [UInt8]) -> Int {
    let start = buffer.count
    buffer.append(contentsOf: "00000000\t".utf8)
    return start
  }

  /// Writes the checksum of the payload appended since `begin` and the `\n`.
  static func finish(_ buffer: inout [UInt8], start: Int) {
    let crc = buffer.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 9)...])) }
    for index in 0..<8 {
      buffer[start + index] = hexDigits[Int((crc >> UInt32(28 - 4 * index)) & 0xF)]
    }
    buffer.append(UInt8(ascii: "\n"))
  }

  enum Damage: Error, Equatable {
    /// No `<crc32>\t` prefix.
    case missingChecksum
    /// The payload's CRC-32 is not the one written before it.
    case checksumMismatch
  }

  /// The payload of `line` (given without its `\n`) once its checksum holds.
  static func payload(_ line: [UInt8]) throws(Damage) -> ArraySlice<UInt8> {
    guard line.count > 9, line[8] == UInt8(ascii: "\t") else { throw .missingChecksum }
    var expected: UInt32 = 0
    for byte in line[0..<8] {
      guard let nibble = hexValue(byte) else { throw .missingChecksum }
      expected = expected << 4 | UInt32(nibble)
    }
    let payload = line[9...]
    guard payload.withUnsafeBytes({ CRC32.checksum($0) }) == expected else { throw .checksumMismatch }
    return payload
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    default: nil
    }
  }
}
