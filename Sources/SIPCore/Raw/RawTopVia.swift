/// The first via-parm of a Via value read from raw bytes, without libosip2,
/// for the switch's stateless answers (docs/overload.md, "Stateless 503"):
/// its sent-by, whether it asks for `rport` (RFC 3581), and its branch.
///
/// Only the plain form is read: `SIP/2.0/<transport> <host>[:<port>]`, then
/// `;name[=value]` parameters with no whitespace around them, up to the end
/// or a comma. Anything else (whitespace inside the sent-protocol, LWS
/// around `;`, a quoted value) gives nil, and the caller takes the full
/// parse instead: this reader may decline, it never reads differently from
/// the parser.
public struct RawTopVia: Equatable, Sendable {
  /// The sent-by host as written (brackets kept on an IPv6 reference).
  public var host: String
  /// The sent-by port, if written.
  public var port: Int?
  /// Whether an `rport` parameter is there (with or without a value).
  public var hasRport: Bool
  /// The branch parameter's value, or nil.
  public var branch: String?

  /// `value`: one Via header value (as `RawSIPHead.vias` gives them).
  public init?(_ value: UnsafeRawBufferPointer.SubSequence) {
    var index = value.startIndex
    let end = value.endIndex
    for expected in "sip/2.0/".utf8 {
      guard index < end else { return nil }
      let byte = value[index]
      guard (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) == expected else { return nil }
      index += 1
    }
    let transportStart = index
    while index < end, Self.isToken(value[index]) { index += 1 }
    guard index > transportStart, index < end, value[index] == 32 || value[index] == 9 else { return nil }
    while index < end, value[index] == 32 || value[index] == 9 { index += 1 }
    let hostStart = index
    if index < end, value[index] == UInt8(ascii: "[") {
      while index < end, value[index] != UInt8(ascii: "]") {
        guard Self.isIPv6(value[index]) || index == hostStart else { return nil }
        index += 1
      }
      guard index < end else { return nil }
      index += 1
    } else {
      while index < end, Self.isHostname(value[index]) { index += 1 }
    }
    guard index > hostStart else { return nil }
    host = String(decoding: value[hostStart..<index], as: UTF8.self)
    port = nil
    if index < end, value[index] == UInt8(ascii: ":") {
      index += 1
      var number = 0
      let digitsStart = index
      while index < end, value[index] >= 48, value[index] <= 57, index - digitsStart < 5 {
        number = number * 10 + Int(value[index] - 48)
        index += 1
      }
      guard index > digitsStart, number <= 65_535 else { return nil }
      port = number
    }
    hasRport = false
    branch = nil
    guard Self.readParameters(value[index..<end], into: &self) else { return nil }
  }

  /// Reads `;name[=value]` parameters up to the end or a comma; false on
  /// anything else.
  private static func readParameters(
    _ bytes: UnsafeRawBufferPointer.SubSequence, into via: inout RawTopVia
  ) -> Bool {
    var index = bytes.startIndex
    let end = bytes.endIndex
    while index < end, bytes[index] != UInt8(ascii: ",") {
      guard bytes[index] == UInt8(ascii: ";") else { return false }
      index += 1
      let nameStart = index
      while index < end, isToken(bytes[index]) { index += 1 }
      let name = bytes[nameStart..<index]
      guard !name.isEmpty else { return false }
      var valueRange = index..<index
      if index < end, bytes[index] == UInt8(ascii: "=") {
        index += 1
        let valueStart = index
        // A token, or the host or IPv6 reference of `received`/`maddr`.
        while index < end,
          isToken(bytes[index]) || bytes[index] == UInt8(ascii: ":")
            || bytes[index] == UInt8(ascii: "[") || bytes[index] == UInt8(ascii: "]")
        {
          index += 1
        }
        guard index > valueStart else { return false }
        valueRange = valueStart..<index
      }
      if RawSIPHead.equalsLowercased(name.base, name.startIndex..<name.endIndex, "rport") {
        via.hasRport = true
      } else if RawSIPHead.equalsLowercased(name.base, name.startIndex..<name.endIndex, "branch") {
        guard !valueRange.isEmpty, via.branch == nil else { return false }
        via.branch = String(decoding: bytes[valueRange], as: UTF8.self)
      }
    }
    return true
  }

  /// The sent-by as the transaction layer keys it (`Via.sentBy`): the host
  /// lower-cased, an IPv6 reference in brackets, and the port (5060 when
  /// none is written).
  public var sentBy: String {
    let lowerHost = host.lowercased()
    let shown = lowerHost.contains(":") && !lowerHost.hasPrefix("[") ? "[\(lowerHost)]" : lowerHost
    return "\(shown):\(port ?? 5060)"
  }

  /// RFC 3261 §25.1 token characters.
  static func isToken(_ byte: UInt8) -> Bool {
    switch byte {
    case 48...57, 65...90, 97...122: return true
    case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "%"), UInt8(ascii: "*"),
      UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "`"), UInt8(ascii: "'"), UInt8(ascii: "~"):
      return true
    default: return false
    }
  }

  private static func isHostname(_ byte: UInt8) -> Bool {
    switch byte {
    case 48...57, 65...90, 97...122, UInt8(ascii: "-"), UInt8(ascii: "."): return true
    default: return false
    }
  }

  private static func isIPv6(_ byte: UInt8) -> Bool {
    switch byte {
    case 48...57, 65...70, 97...102, UInt8(ascii: ":"), UInt8(ascii: "."): return true
    default: return false
    }
  }
}
