/// An IPv4 or IPv6 address as a 128-bit number (IPv4 in the low 32 bits), so
/// that CIDR blocks and ranges compare with integer arithmetic. Parsed by
/// hand: the policy layer imports no C.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let high: UInt64
  public let low: UInt64
  public let isIPv6: Bool

  public init(high: UInt64, low: UInt64, isIPv6: Bool) {
    self.high = high
    self.low = low
    self.isIPv6 = isIPv6
  }

  /// Parses dotted IPv4 (`192.0.2.1`) or IPv6 text (`2001:db8::1`, `::ffff:192.0.2.1`,
  /// brackets allowed). IPv4-mapped IPv6 addresses become IPv4.
  public init?(_ text: some StringProtocol) {
    var text = Substring(text)
    if text.first == "[", text.last == "]" { text = text.dropFirst().dropLast() }
    if let v4 = Self.parseIPv4(text) {
      self.init(high: 0, low: UInt64(v4), isIPv6: false)
      return
    }
    guard let (high, low) = Self.parseIPv6(text) else { return nil }
    if high == 0, low >> 32 == 0xFFFF {
      self.init(high: 0, low: low & 0xFFFF_FFFF, isIPv6: false)
    } else {
      self.init(high: high, low: low, isIPv6: true)
    }
  }

  /// 32 for IPv4, 128 for IPv6.
  public var bitWidth: Int { isIPv6 ? 128 : 32 }

  /// True when `self` lies in the block `network/prefixLength` of the same family.
  public func isIn(network: IPAddress, prefixLength: Int) -> Bool {
    guard isIPv6 == network.isIPv6 else { return false }
    let shift = bitWidth - prefixLength
    if !isIPv6 {
      if shift >= 32 { return true }
      return (low >> UInt64(shift)) == (network.low >> UInt64(shift))
    }
    if shift >= 128 { return true }
    if shift >= 64 { return (high >> UInt64(shift - 64)) == (network.high >> UInt64(shift - 64)) }
    if high != network.high { return false }
    if shift == 0 { return low == network.low }
    return (low >> UInt64(shift)) == (network.low >> UInt64(shift))
  }

  /// The first address of the block `self/prefixLength`: host bits cleared.
  /// A prefix length outside `0...bitWidth` is clamped.
  public func masked(toPrefixLength prefixLength: Int) -> IPAddress {
    let hostBits = bitWidth - min(max(prefixLength, 0), bitWidth)
    if !isIPv6 {
      return IPAddress(high: 0, low: low & (0xFFFF_FFFF << UInt64(hostBits)) & 0xFFFF_FFFF, isIPv6: false)
    }
    // Smart shifts: shifting a UInt64 by 64 or more gives 0.
    let highMask: UInt64 = hostBits <= 64 ? .max : .max << (hostBits - 64)
    let lowMask: UInt64 = .max << hostBits
    return IPAddress(high: high & highMask, low: low & lowMask, isIPv6: true)
  }

  public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
    if lhs.isIPv6 != rhs.isIPv6 { return !lhs.isIPv6 }
    return (lhs.high, lhs.low) < (rhs.high, rhs.low)
  }

  public var description: String {
    if !isIPv6 {
      return [24, 16, 8, 0].map { String((low >> UInt64($0)) & 0xFF) }.joined(separator: ".")
    }
    let groups = (0..<8).map { index -> UInt64 in
      let word = index < 4 ? high : low
      return (word >> UInt64((3 - index % 4) * 16)) & 0xFFFF
    }
    return groups.map { String($0, radix: 16) }.joined(separator: ":")
  }

  private static func parseIPv4(_ text: Substring) -> UInt32? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    var value: UInt32 = 0
    for part in parts {
      guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let octet = UInt32(part), octet <= 255
      else { return nil }
      value = value << 8 | octet
    }
    return value
  }

  private static func parseIPv6(_ text: Substring) -> (UInt64, UInt64)? {
    guard text.contains(":") else { return nil }
    var text = text
    if let percent = text.firstIndex(of: "%") { text = text[..<percent] }  // zone id
    let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
    guard halves.count <= 2 else { return nil }
    func groups(_ part: Substring) -> [UInt16]? {
      if part.isEmpty { return [] }
      var result: [UInt16] = []
      let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
      for (index, piece) in pieces.enumerated() {
        if index == pieces.count - 1, piece.contains("."), let v4 = parseIPv4(piece) {
          result.append(UInt16(v4 >> 16))
          result.append(UInt16(v4 & 0xFFFF))
        } else {
          guard (1...4).contains(piece.count), let group = UInt16(piece, radix: 16) else { return nil }
          result.append(group)
        }
      }
      return result
    }
    guard let head = groups(halves[0]) else { return nil }
    var all: [UInt16]
    if halves.count == 2 {
      guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
      all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    } else {
      guard head.count == 8 else { return nil }
      all = head
    }
    var high: UInt64 = 0
    var low: UInt64 = 0
    for index in 0..<4 { high = high << 16 | UInt64(all[index]) }
    for index in 4..<8 { low = low << 16 | UInt64(all[index]) }
    return (high, low)
  }
}
