/// Reads JSON text into a `JSONValue` (RFC 8259), bounded: at most
/// `maxDepth` nested arrays and objects; numbers must be integers.
public struct JSONParser {
  public struct Failure: Error, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
  }

  private let bytes: [UInt8]
  private var index = 0
  private let maxDepth: Int

  private init(_ bytes: [UInt8], maxDepth: Int) {
    self.bytes = bytes
    self.maxDepth = maxDepth
  }

  public static func parse(_ text: String, maxDepth: Int = 32) throws(Failure) -> JSONValue {
    try parse(Array(text.utf8), maxDepth: maxDepth)
  }

  public static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws(Failure) -> JSONValue {
    var parser = JSONParser(bytes, maxDepth: maxDepth)
    let value = try parser.value(depth: 0)
    parser.skipSpace()
    guard parser.index == bytes.count else { throw parser.fail("text after the value") }
    return value
  }

  private func fail(_ message: String) -> Failure { Failure(offset: index, message: message) }

  private mutating func skipSpace() {
    while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
  }

  private mutating func value(depth: Int) throws(Failure) -> JSONValue {
    skipSpace()
    guard index < bytes.count else { throw fail("unexpected end") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try object(depth: depth + 1)
    case UInt8(ascii: "["): return try array(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): return try literal("true", .bool(true))
    case UInt8(ascii: "f"): return try literal("false", .bool(false))
    case UInt8(ascii: "n"): return try literal("null", .null)
    default: return try number()
    }
  }

  private mutating func literal(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
    let word = Array(word.utf8)
    guard bytes.count - index >= word.count, Array(bytes[index..<index + word.count]) == word else {
      throw fail("unexpected character")
    }
    index += word.count
    return value
  }

  private mutating func number() throws(Failure) -> JSONValue {
    let start = index
    if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    guard let value = Int64(text) else {
      index = start
      throw fail("expected a value (integers only)")
    }
    return .number(value)
  }

  private mutating func string() throws(Failure) -> String {
    index += 1
    var out: [UInt8] = []
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      switch byte {
      case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard index < bytes.count else { throw fail("unterminated escape") }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "u"):
          guard bytes.count - index >= 4,
            let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
          else { throw fail("bad \\u escape") }
          index += 4
          out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
        default: throw fail("bad escape")
        }
      case 0..<0x20: throw fail("control character in a string")
      default: out.append(byte)
      }
    }
    throw fail("unterminated string")
  }

  private mutating func array(depth: Int) throws(Failure) -> JSONValue {
    guard depth <= maxDepth else { throw fail("nested too deep") }
    index += 1
    var values: [JSONValue] = []
    skipSpace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(values)
    }
    while true {
      values.append(try value(depth: depth))
      skipSpace()
      guard index < bytes.count else { throw fail("unterminated array") }
      index += 1
      if bytes[index - 1] == UInt8(ascii: "]") { return .array(values) }
      guard bytes[index - 1] == UInt8(ascii: ",") else { throw fail("expected , or ]") }
    }
  }

  private mutating func object(depth: Int) throws(Failure) -> JSONValue {
    guard depth <= maxDepth else { throw fail("nested too deep") }
    index += 1
    var members: [(String, JSONValue)] = []
    skipSpace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
      let key = try string()
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected :") }
      index += 1
      members.append((key, try value(depth: depth)))
      skipSpace()
      guard index < bytes.count else { throw fail("unterminated object") }
      index += 1
      if bytes[index - 1] == UInt8(ascii: "}") { return .object(members) }
      guard bytes[index - 1] == UInt8(ascii: ",") else { throw fail("expected , or }") }
    }
  }
}
