/// One value of a header that holds name-addr or addr-spec values (Contact,
/// To, From; RFC 3261 §20.10): the URI as written (escapes kept), and the
/// header parameters after it. `*` is a Contact of its own (§10.2.2).
public struct NameAddrValue: Sendable, Equatable {
  /// The URI between `<` and `>`, or of an addr-spec up to its first `;`.
  public var uri: String
  /// Header parameters in order (`expires`, `q`, `tag`...), names lower-cased;
  /// a parameter without `=` has a nil value.
  public var parameters: [(name: String, value: String?)]
  /// The value is the Contact wildcard `*`.
  public var isWildcard: Bool

  public init(uri: String, parameters: [(name: String, value: String?)] = [], isWildcard: Bool = false) {
    self.uri = uri
    self.parameters = parameters
    self.isWildcard = isWildcard
  }

  public func parameter(_ name: String) -> String?? {
    parameters.first { $0.name == name }.map { $0.value }
  }

  public static func == (lhs: NameAddrValue, rhs: NameAddrValue) -> Bool {
    lhs.uri == rhs.uri && lhs.isWildcard == rhs.isWildcard
      && lhs.parameters.map(\.name) == rhs.parameters.map(\.name)
      && lhs.parameters.map(\.value) == rhs.parameters.map(\.value)
  }

  /// The comma-separated values of one header, or nil when one of them is
  /// not a name-addr or addr-spec (an unclosed `<` or quote, an empty value).
  /// In an addr-spec a `;` starts header parameters (RFC 3261 §20.10), so
  /// `sip:a@b;x` is the URI `sip:a@b` with the parameter `x`.
  public static func list(_ text: some StringProtocol) -> [NameAddrValue]? {
    var values: [NameAddrValue] = []
    for element in split(Array(text.utf8)[...], on: UInt8(ascii: ",")) {
      guard let value = parse(element) else { return nil }
      values.append(value)
    }
    return values.isEmpty ? nil : values
  }

  private static func parse(_ bytes: ArraySlice<UInt8>) -> NameAddrValue? {
    let element = trimmed(bytes)
    guard !element.isEmpty else { return nil }
    if element.count == 1, element.first == UInt8(ascii: "*") {
      return NameAddrValue(uri: "*", isWildcard: true)
    }
    var uri: ArraySlice<UInt8>
    var rest: ArraySlice<UInt8>
    if let open = firstUnquoted(element, UInt8(ascii: "<")) {
      guard let close = element[open...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
      uri = element[(open + 1)..<close]
      rest = element[(close + 1)...]
    } else {
      let semicolon = element.firstIndex(of: UInt8(ascii: ";")) ?? element.endIndex
      uri = element[..<semicolon]
      rest = element[semicolon...]
    }
    uri = trimmed(uri)
    guard !uri.isEmpty else { return nil }
    var parameters: [(name: String, value: String?)] = []
    for part in split(rest, on: UInt8(ascii: ";")).dropFirst() {
      let parameter = trimmed(part)
      guard !parameter.isEmpty else { continue }
      if let equals = parameter.firstIndex(of: UInt8(ascii: "=")) {
        let name = String(decoding: trimmed(parameter[..<equals]), as: UTF8.self).lowercased()
        parameters.append((name, String(decoding: trimmed(parameter[(equals + 1)...]), as: UTF8.self)))
      } else {
        parameters.append((String(decoding: parameter, as: UTF8.self).lowercased(), nil))
      }
    }
    return NameAddrValue(uri: String(decoding: uri, as: UTF8.self), parameters: parameters)
  }

  /// Pieces between separators that are outside quotes and `<...>`.
  private static func split(_ bytes: ArraySlice<UInt8>, on separator: UInt8) -> [ArraySlice<UInt8>] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = bytes.startIndex
    var quoted = false
    var escaped = false
    var angle = false
    for index in bytes.indices {
      let byte = bytes[index]
      if quoted {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          quoted = false
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""): quoted = true
      case UInt8(ascii: "<"): angle = true
      case UInt8(ascii: ">"): angle = false
      case separator where !angle:
        pieces.append(bytes[start..<index])
        start = index + 1
      default: break
      }
    }
    pieces.append(bytes[start...])
    return pieces
  }

  private static func firstUnquoted(_ bytes: ArraySlice<UInt8>, _ target: UInt8) -> Int? {
    var quoted = false
    var escaped = false
    for index in bytes.indices {
      let byte = bytes[index]
      if quoted {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          quoted = false
        }
        continue
      }
      if byte == UInt8(ascii: "\"") { quoted = true } else if byte == target { return index }
    }
    return nil
  }

  private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var result = bytes
    while let byte = result.first, byte == 32 || byte == 9 || byte == 13 || byte == 10 {
      result = result.dropFirst()
    }
    while let byte = result.last, byte == 32 || byte == 9 || byte == 13 || byte == 10 {
      result = result.dropLast()
    }
    return result
  }
}
