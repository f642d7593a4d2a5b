#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes of a numeric IP address for a HEP packet's address chunks.
enum HEPAddressBytes {
  /// 4 bytes for IPv4 text, 16 for IPv6 (brackets allowed); nil for anything else.
  static func parse(_ host: String) -> [UInt8]? {
    var text = Substring(host)
    if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
    var v4 = in_addr()
    if inet_pton(AF_INET, String(text), &v4) == 1 {
      return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, String(text), &v6) == 1 {
      return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
  }

  /// Both addresses in one family: an IPv4 address beside an IPv6 one is
  /// written as IPv4-mapped IPv6; an address that does not parse is 0.0.0.0 or ::.
  static func pair(_ source: String, _ destination: String) -> ([UInt8], [UInt8]) {
    let a = parse(source)
    let b = parse(destination)
    let v6 = a?.count == 16 || b?.count == 16
    func widen(_ bytes: [UInt8]?) -> [UInt8] {
      guard let bytes else { return [UInt8](repeating: 0, count: v6 ? 16 : 4) }
      if v6, bytes.count == 4 { return [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + bytes }
      return bytes
    }
    return (widen(a), widen(b))
  }
}
