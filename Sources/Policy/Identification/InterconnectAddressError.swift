/// Why an `interconnect_ip_addresses` row could not be read. Each case names
/// the value at fault, so that the loader can log it and skip or refuse the row.
public enum InterconnectAddressError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `ip_address` or `range_end` is not an IPv4 or IPv6 address.
  case notAnAddress(String)
  /// The `/nn` after an address is not a number within 0...32 (IPv4) or 0...128 (IPv6).
  case prefixLengthOutOfRange(String)
  /// `is_range` is set but `range_end` is missing or empty.
  case missingRangeEnd(start: String)
  /// `range_end` is lower than `ip_address`.
  case rangeEndBeforeStart(start: String, end: String)
  /// `ip_address` and `range_end` are of different families (IPv4 and IPv6).
  case rangeAcrossFamilies(start: String, end: String)
  /// `sip_port` is not within 1...65535.
  case portOutOfRange(Int)

  public var description: String {
    switch self {
    case .notAnAddress(let text): "not an IP address: '\(text)'"
    case .prefixLengthOutOfRange(let text): "CIDR prefix length out of range: '\(text)'"
    case .missingRangeEnd(let start): "range starting at '\(start)' has no range end"
    case .rangeEndBeforeStart(let start, let end): "range end '\(end)' is before range start '\(start)'"
    case .rangeAcrossFamilies(let start, let end): "range '\(start)'-'\(end)' mixes IPv4 and IPv6"
    case .portOutOfRange(let port): "port out of range: \(port)"
    }
  }
}
