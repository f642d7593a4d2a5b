/// An exact-match hash of digit prefixes, keyed by (length, numeric value),
/// that lets `PrefixTable` find the longest prefix of a number with one
/// probe per prefix length in use instead of binary searches over large
/// blocks: a handful of memory accesses whatever the table's size, so
/// lookups stay flat at a million prefixes.
///
/// Built only when every prefix is 1-17 ASCII digits (the empty prefix is
/// handled by the table itself); open addressing with linear probing at a
/// load factor of at most one half: 12 bytes per slot, about 24 bytes per
/// prefix. A one-hash filter of 8 bits per prefix (1 MB at a million,
/// small enough to stay in cache) answers most "no prefix of this length"
/// probes without touching the table.
struct DigitPrefixIndex: Sendable {
  /// Longest prefix the index takes: 17 digits keep `value << 5 | length` in 64 bits.
  static let maximumLength = 17

  /// `value << 5 | length`, 0 = empty slot (length is never 0).
  private let keys: [UInt64]
  /// The table index of each key's prefix.
  private let slots: [UInt32]
  private let shift: UInt64
  /// Bit `hash >> filterShift` set for every key.
  private let filter: [UInt64]
  private let filterShift: UInt64
  /// Bit `n` set when some prefix has `n` digits.
  let lengths: UInt32

  /// Nil unless every non-empty prefix is 1...17 digits. `prefix(i)` gives
  /// the bytes of the table's prefix `i`, for `i` in `0..<count`.
  init?(count: Int, prefix: (Int) -> UnsafeBufferPointer<UInt8>) {
    var bits = 4
    while 1 << bits < 2 * max(count, 1) { bits += 1 }
    var keys = [UInt64](repeating: 0, count: 1 << bits)
    var slots = [UInt32](repeating: 0, count: 1 << bits)
    var lengths: UInt32 = 0
    let shift = UInt64(64 - bits)
    let mask = (1 << bits) - 1
    var filterBits = 6
    while 1 << filterBits < 8 * max(count, 1) { filterBits += 1 }
    var filter = [UInt64](repeating: 0, count: 1 << (filterBits - 6))
    let filterShift = UInt64(64 - filterBits)
    for index in 0..<count {
      let digits = prefix(index)
      if digits.isEmpty { continue }
      guard digits.count <= Self.maximumLength else { return nil }
      var value: UInt64 = 0
      for byte in digits {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
      }
      let key = value << 5 | UInt64(digits.count)
      let hash = key &* 0x9E37_79B9_7F4A_7C15
      let bit = Int(hash >> filterShift)
      filter[bit >> 6] |= 1 << UInt64(bit & 63)
      var slot = Int(hash >> shift)
      while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
      keys[slot] = key
      slots[slot] = UInt32(index)
      lengths |= 1 << UInt32(digits.count)
    }
    self.keys = keys
    self.slots = slots
    self.shift = shift
    self.filter = filter
    self.filterShift = filterShift
    self.lengths = lengths
  }

  /// The table index of the longest non-empty prefix of `number`, if any.
  func longest(_ number: UnsafeBufferPointer<UInt8>) -> Int? {
    // The value of each leading run of digits, up to the first non-digit.
    var values:
      (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64
      ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &values) { raw in
      let prefixValues = raw.bindMemory(to: UInt64.self)
      var count = 0
      var value: UInt64 = 0
      while count < Self.maximumLength, count < number.count {
        let byte = number[count]
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
        value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        count += 1
        prefixValues[count] = value
      }
      let mask = keys.count - 1
      return keys.withUnsafeBufferPointer { keys in
        var length = count
        while length > 0 {
          if lengths & (1 << UInt32(length)) != 0 {
            let key = prefixValues[length] << 5 | UInt64(length)
            let hash = key &* 0x9E37_79B9_7F4A_7C15
            let bit = Int(hash >> filterShift)
            guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else {
              length -= 1
              continue
            }
            var slot = Int(hash >> shift)
            while keys[slot] != 0 {
              if keys[slot] == key { return Int(slots[slot]) }
              slot = (slot + 1) & mask
            }
          }
          length -= 1
        }
        return nil
      }
    }
  }
}
