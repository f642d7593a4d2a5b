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
    return prefix + Self.hex(loopHash) + "." + String(counter, radix: 36)
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
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 8 - text.count) + text
  }
}
