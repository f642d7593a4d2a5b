/// Makes the branch parameter of every Via this switch adds (RFC 3261 §8.1.1.7,
/// §16.6 step 8): the magic cookie, a per-process prefix, a hash of the
/// request's identity for loop detection (§16.3 item 4) and a counter.
struct BranchGenerator {
  private let prefix: String
  private var counter: UInt64 = 0

  init(processPrefix: String) {
    prefix = "z9hG4bK" + processPrefix
  }

  mutating func next(loopHash: UInt32) -> String {
    counter &+= 1
    var text = prefix
    text.reserveCapacity(prefix.utf8.count + 22)
    Self.appendHex(loopHash, to: &text)
    text.append(".")
    Self.appendBase36(counter, to: &text)
    return text
  }

  /// Whether `branch` was made by this process with this loop hash.
  func isOurs(_ branch: String, loopHash: UInt32) -> Bool {
    branch.hasPrefix(prefix + Self.hex(loopHash) + ".")
  }

  func isOurs(_ branch: String) -> Bool { branch.hasPrefix(prefix) }

  /// FNV-1a over the parts that identify a request as received.
  static func loopHash(_ parts: [String?]) -> UInt32 {
    var hash: UInt32 = 2_166_136_261
    for part in parts {
      for byte in (part ?? "").utf8 {
        hash ^= UInt32(byte)
        hash = hash &* 16_777_619
      }
      hash ^= 0x7C
      hash = hash &* 16_777_619
    }
    return hash
  }

  private static func hex(_ value: UInt32) -> String {
    var text = ""
    appendHex(value, to: &text)
    return text
  }

  private static let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".unicodeScalars)

  /// Eight lower-case hex digits, leading zeros kept.
  private static func appendHex(_ value: UInt32, to text: inout String) {
    for shift in stride(from: 28, through: 0, by: -4) {
      text.unicodeScalars.append(digits[Int((value >> UInt32(shift)) & 0xF)])
    }
  }

  private static func appendBase36(_ value: UInt64, to text: inout String) {
    var scalars: [Unicode.Scalar] = []
    var rest = value
    repeat {
      scalars.append(digits[Int(rest % 36)])
      rest /= 36
    } while rest > 0
    text.unicodeScalars.append(contentsOf: scalars.reversed())
  }
}
