/// The one way text taken from a message (numbers, URIs, Call-IDs, user
/// agents, reason phrases) goes into a log line: printable text stays as it
/// is; control characters, invisible formatting characters, bytes that are
/// not UTF-8 and the replacement character that a decoder left for them
/// become `\xNN` (one per byte), and a backslash becomes `\\`, so that a log
/// line can neither be forged (a CR, LF or terminal escape) nor hide what a
/// peer sent. Long values are cut to `limit` bytes with `...` after them.
public enum LogText {
  /// The most bytes of one value that reach a log line.
  public static let defaultLimit = 256

  public static func escaped(_ text: String, limit: Int = defaultLimit) -> String {
    escaped(bytes: text.utf8, limit: limit)
  }

  public static func escaped(_ text: String?, limit: Int = defaultLimit) -> String {
    text.map { escaped($0, limit: limit) } ?? ""
  }

  /// Raw bytes, decoded as UTF-8 where they are UTF-8.
  public static func escaped<Bytes: Collection>(bytes: Bytes, limit: Int = defaultLimit) -> String
  where Bytes.Element == UInt8 {
    var output: [UInt8] = []
    output.reserveCapacity(min(bytes.count, limit) + 8)
    var index = bytes.startIndex
    var consumed = 0
    while index != bytes.endIndex {
      guard consumed < limit else {
        output += Array("...".utf8)
        break
      }
      let byte = bytes[index]
      let length = sequenceLength(bytes, at: index)
      let end = bytes.index(index, offsetBy: length)
      let sequence = bytes[index..<end]
      if length == 1, byte >= 0x20, byte < 0x7F {
        if byte == UInt8(ascii: "\\") { output.append(byte) }
        output.append(byte)
      } else if length > 1, isPrintable(scalar(sequence)) {
        output += sequence
      } else {
        for raw in sequence { output += hex(raw) }
      }
      consumed += length
      index = end
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// The length of the well-formed UTF-8 sequence at `index`, or 1 for a
  /// byte that starts none (RFC 3629 §4: no overlong forms, no surrogates).
  private static func sequenceLength<Bytes: Collection>(_ bytes: Bytes, at index: Bytes.Index) -> Int
  where Bytes.Element == UInt8 {
    let first = bytes[index]
    let length: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch first {
    case 0x00...0x7F: return 1
    case 0xC2...0xDF: length = 2
    case 0xE0: (length, low) = (3, 0xA0)
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: (length, high) = (3, 0x9F)
    case 0xF0: (length, low) = (4, 0x90)
    case 0xF1...0xF3: length = 4
    case 0xF4: (length, high) = (4, 0x8F)
    default: return 1
    }
    var next = bytes.index(after: index)
    for position in 1..<length {
      guard next != bytes.endIndex else { return 1 }
      let byte = bytes[next]
      let range: ClosedRange<UInt8> = position == 1 ? low...high : 0x80...0xBF
      guard range.contains(byte) else { return 1 }
      next = bytes.index(after: next)
    }
    return length
  }

  private static func scalar<Bytes: Collection>(_ sequence: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var iterator = sequence.makeIterator()
    guard let first = iterator.next() else { return 0 }
    let mask: UInt8 = sequence.count == 2 ? 0x1F : sequence.count == 3 ? 0x0F : 0x07
    var value = UInt32(first & mask)
    while let byte = iterator.next() { value = value << 6 | UInt32(byte & 0x3F) }
    return value
  }

  /// C1 controls, bidirectional and zero-width formatting characters, line
  /// and paragraph separators, the byte order mark and U+FFFD are not shown.
  private static func isPrintable(_ scalar: UInt32) -> Bool {
    switch scalar {
    case 0x80...0x9F, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF, 0xFFF9...0xFFFD: false
    default: true
    }
  }

  private static func hex(_ byte: UInt8) -> [UInt8] {
    let digits = Array("0123456789ABCDEF".utf8)
    return [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
  }
}
