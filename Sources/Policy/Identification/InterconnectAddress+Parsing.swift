import SIPCore

extension InterconnectAddress {
  /// Reads one `interconnect_ip_addresses` row of type `transport`.
  ///
  /// - `ipAddress`: `192.0.2.1`, `192.0.2.0/24`, `2001:db8::1` or `2001:db8::/32`
  ///   (IPv6 may be in brackets). A CIDR block with host bits set is masked to
  ///   its network (`192.0.2.7/24` is `192.0.2.0/24`), as PostgreSQL's `inet`
  ///   allows it. An IPv4-mapped IPv6 block (`::ffff:192.0.2.0/120`) becomes
  ///   the IPv4 block (`192.0.2.0/24`). A bare address is a /32 or /128.
  /// - `isRange`: the row is every address from `ipAddress` to `rangeEnd`
  ///   inclusive; both must be bare addresses of the same family.
  /// - `port`: nil (or a missing `sip_port`) admits any source port.
  ///
  /// Spaces and tabs around the values are ignored.
  public static func parse(
    ipAddress: String, isRange: Bool, rangeEnd: String?, port: Int?
  ) throws(InterconnectAddressError) -> InterconnectAddress {
    if let port, !(1...65535).contains(port) { throw .portOutOfRange(port) }
    let start = ipAddress.trimmingWhitespace()
    guard isRange else { return InterconnectAddress(match: try parseNetwork(start), port: port) }

    guard let endText = rangeEnd?.trimmingWhitespace(), !endText.isEmpty else {
      throw .missingRangeEnd(start: String(start))
    }
    guard let first = IPAddress(start) else { throw .notAnAddress(String(start)) }
    guard let last = IPAddress(endText) else { throw .notAnAddress(String(endText)) }
    guard first.isIPv6 == last.isIPv6 else {
      throw .rangeAcrossFamilies(start: String(start), end: String(endText))
    }
    guard first <= last else { throw .rangeEndBeforeStart(start: String(start), end: String(endText)) }
    return InterconnectAddress(match: .range(first, last), port: port)
  }

  private static func parseNetwork(_ text: Substring) throws(InterconnectAddressError) -> Match {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let address = IPAddress(parts[0]) else { throw .notAnAddress(String(text)) }
    guard parts.count == 2 else { return .network(address, prefixLength: address.bitWidth) }

    let lengthText = parts[1]
    guard !lengthText.isEmpty, lengthText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
      lengthText.utf8.count <= 3, var prefixLength = Int(lengthText)
    else { throw .prefixLengthOutOfRange(String(text)) }
    // `::ffff:a.b.c.d/nn` parses as IPv4; its prefix counts the 96 mapped bits.
    if !address.isIPv6, parts[0].contains(":") { prefixLength -= 96 }
    guard (0...address.bitWidth).contains(prefixLength) else { throw .prefixLengthOutOfRange(String(text)) }
    return .network(address.masked(toPrefixLength: prefixLength), prefixLength: prefixLength)
  }
}
