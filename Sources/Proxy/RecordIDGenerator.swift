/// Makes the call-record UUIDs (version 4, RFC 9562 §5.4): xoshiro256**
/// seeded once from the system's random source, so a call costs no syscall.
/// Uniqueness is what matters here, not unpredictability.
struct RecordIDGenerator {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  init() {
    var system = SystemRandomNumberGenerator()
    state = (system.next(), system.next(), system.next(), system.next() | 1)
  }

  mutating func next() -> String {
    var high = nextWord()
    var low = nextWord()
    high = (high & ~0xF000) | 0x4000  // version 4
    low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10
    var text = [UInt8]()
    text.reserveCapacity(36)
    Self.appendHex(high >> 32, digits: 8, to: &text)
    text.append(UInt8(ascii: "-"))
    Self.appendHex((high >> 16) & 0xFFFF, digits: 4, to: &text)
    text.append(UInt8(ascii: "-"))
    Self.appendHex(high & 0xFFFF, digits: 4, to: &text)
    text.append(UInt8(ascii: "-"))
    Self.appendHex(low >> 48, digits: 4, to: &text)
    text.append(UInt8(ascii: "-"))
    Self.appendHex(low & 0xFFFF_FFFF_FFFF, digits: 12, to: &text)
    return String(decoding: text, as: UTF8.self)
  }

  /// 64 random bits (also the seed of a call's route choices).
  mutating func nextWord() -> UInt64 {
    let result = rotate(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotate(state.3, 45)
    return result
  }

  private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  private static let alphabet: [UInt8] = Array("0123456789abcdef".utf8)

  private static func appendHex(_ value: UInt64, digits: Int, to text: inout [UInt8]) {
    for index in stride(from: digits - 1, through: 0, by: -1) {
      text.append(alphabet[Int((value >> UInt64(index * 4)) & 0xF)])
    }
  }
}
