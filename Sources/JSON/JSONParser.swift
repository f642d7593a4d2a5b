/// Reads JSON text (RFC 8259) into a `JSONValue`: recursive descent over UTF-8
/// bytes, bounded by `Limits` (size, nesting, digits), linear in the input.
/// Numbers must be integers that fit an `Int64` (no fractions, no exponents:
/// never a floating-point number, so never a rounded amount of money).
public struct JSONParser {
  /// Bounds on what one document may cost to read.
  public struct Limits: Sendable {
    /// Arrays and objects nest at most this deep.
    public var maxDepth: Int
    /// The whole text, in UTF-8 bytes.
    public var maxBytes: Int
    /// Digits in an integer (19 lets every `Int64` through; fewer caps the value).
    public var maxIntegerDigits: Int

    public init(maxDepth: Int = 32, maxBytes: Int = 1 << 20, maxIntegerDigits: Int = 19) {
      self.maxDepth = maxDepth
      self.maxBytes = maxBytes
      self.maxIntegerDigits = min(maxIntegerDigits, 19)
    }
  }

  let bytes: [UInt8]
  var index = 0
  let limits: Limits
  let kinds: JSONKinds

  private init(_ bytes: [UInt8], limits: Limits, kinds: JSONKinds) {
    self.bytes = bytes
    self.limits = limits
    self.kinds = kinds
  }

  /// Reads `text`, which holds exactly one value (white space around it is allowed).
  public static func parse(
    _ text: String, limits: Limits = Limits(), allowing kinds: JSONKinds = .all
  ) throws(JSONSyntaxError) -> JSONValue {
    try parse(Array(text.utf8), limits: limits, allowing: kinds)
  }

  public static func parse(
    _ bytes: [UInt8], limits: Limits = Limits(), allowing kinds: JSONKinds = .all
  ) throws(JSONSyntaxError) -> JSONValue {
    guard bytes.count <= limits.maxBytes else {
      throw JSONSyntaxError(offset: limits.maxBytes, message: "text over \(limits.maxBytes) bytes")
    }
    var parser = JSONParser(bytes, limits: limits, kinds: kinds)
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.count else { throw parser.error("unexpected text after the value") }
    return value
  }

  private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    skipWhitespace()
    guard index < bytes.count else { throw error("unexpected end of text") }
    let byte = bytes[index]
    let kind: JSONKinds
    switch byte {
    case UInt8(ascii: "{"): kind = .objects
    case UInt8(ascii: "["): kind = .arrays
    case UInt8(ascii: "\""): kind = .strings
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): kind = .numbers
    case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = .booleans
    case UInt8(ascii: "n"): kind = .null
    default: throw error("unexpected character '\(Self.printable(byte))'")
    }
    guard kinds.contains(kind) else { throw error("only \(kinds.names) are allowed") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return try parseLiteral("null", .null)
    default: return .number(try parseInteger())
    }
  }

  private mutating func parseLiteral(_ word: StaticString, _ value: JSONValue) throws(JSONSyntaxError)
    -> JSONValue
  {
    let count = word.utf8CodeUnitCount
    guard bytes.count - index >= count,
      word.withUTF8Buffer({ bytes[index..<index + count].elementsEqual($0) })
    else { throw error("unexpected character '\(Self.printable(bytes[index]))'") }
    index += count
    return value
  }

  private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth <= limits.maxDepth else { throw error("nested too deep") }
    index += 1  // "{"
    var members: [(String, JSONValue)] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
        throw error("expected a string key")
      }
      let key = try parseString()
      try expect(UInt8(ascii: ":"), "expected ':'")
      members.append((key, try parseValue(depth: depth)))
      guard try endOfList(UInt8(ascii: "}"), in: "an object") else { continue }
      return .object(members)
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth <= limits.maxDepth else { throw error("nested too deep") }
    index += 1  // "["
    var values: [JSONValue] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(values)
    }
    while true {
      values.append(try parseValue(depth: depth))
      guard try endOfList(UInt8(ascii: "]"), in: "an array") else { continue }
      return .array(values)
    }
  }

  /// After a member or element: true at the closing bracket, false after a comma.
  private mutating func endOfList(_ close: UInt8, in what: String) throws(JSONSyntaxError) -> Bool {
    skipWhitespace()
    guard index < bytes.count else { throw error("unexpected end of text in \(what)") }
    let byte = bytes[index]
    guard byte == UInt8(ascii: ",") || byte == close else {
      throw error("expected ',' or '\(Self.printable(close))'")
    }
    index += 1
    return byte == close
  }

  private mutating func expect(_ byte: UInt8, _ message: String) throws(JSONSyntaxError) {
    skipWhitespace()
    guard index < bytes.count, bytes[index] == byte else { throw error(message) }
    index += 1
  }

  mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(offset: index, message: message)
  }

  static func printable(_ byte: UInt8) -> String {
    (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
  }
}
