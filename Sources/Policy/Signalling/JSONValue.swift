/// A value of the JSON subset the switch reads from `jsonb` columns: objects, strings
/// and integers (RFC 8259 syntax; no arrays, booleans, null or fractions).
indirect enum JSONValue: Equatable, Sendable {
  /// Members in the order written; a repeated key is kept twice.
  case object([JSONMember])
  case string(String)
  case integer(Int)

  /// Parses `text`, which holds exactly one value (whitespace around it is allowed).
  init(parsing text: String) throws(JSONSyntaxError) {
    var parser = JSONSubsetParser(bytes: Array(text.utf8))
    self = try parser.parseDocument()
  }
}

struct JSONMember: Equatable, Sendable {
  var key: String
  var value: JSONValue
}

/// Where and why JSON text could not be read; `offset` counts UTF-8 bytes from 0.
struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
  var offset: Int
  var message: String

  var description: String { "\(message) at byte \(offset)" }
}

/// A recursive-descent parser over UTF-8 bytes.
struct JSONSubsetParser {
  let bytes: [UInt8]
  var index = 0
  /// Objects nest at most this deep.
  static let maximumDepth = 32
  /// Digits in an integer, so that it fits an `Int` without overflow checks.
  static let maximumDigits = 18

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
    let value = try parseValue(depth: 0)
    skipWhitespace()
    guard index == bytes.count else { throw error("unexpected text after the value") }
    return value
  }

  private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    skipWhitespace()
    guard index < bytes.count else { throw error("unexpected end of text") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try parseInteger())
    case UInt8(ascii: "["), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
      throw error("only objects, strings and integers are allowed")
    default:
      throw error("unexpected character '\(Self.printable(bytes[index]))'")
    }
  }

  private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw error("objects nested too deep") }
    index += 1  // "{"
    var members: [JSONMember] = []
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
      let value = try parseValue(depth: depth)
      members.append(JSONMember(key: key, value: value))
      skipWhitespace()
      guard index < bytes.count else { throw error("unexpected end of text in an object") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      } else {
        throw error("expected ',' or '}'")
      }
    }
  }

  private mutating func parseString() throws(JSONSyntaxError) -> String {
    index += 1  // opening quote
    var out: [UInt8] = []
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { break }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"): out.append(contentsOf: try parseUnicodeEscape())
        default:
          index -= 1
          throw error("invalid escape '\\\(Self.printable(escaped))'")
        }
      case 0x00..<0x20:
        throw error("control character in a string")
      default:
        out.append(byte)
        index += 1
      }
    }
    throw error("unterminated string")
  }

  /// After `\u`: four hex digits, or a surrogate pair written as two escapes.
  private mutating func parseUnicodeEscape() throws(JSONSyntaxError) -> [UInt8] {
    let start = index - 2
    var value = try parseHex4()
    if (0xD800...0xDBFF).contains(value) {
      guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
      else { throw JSONSyntaxError(offset: start, message: "unpaired surrogate in \\u escape") }
      index += 2
      let low = try parseHex4()
      guard (0xDC00...0xDFFF).contains(low) else {
        throw JSONSyntaxError(offset: start, message: "unpaired surrogate in \\u escape")
      }
      value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
    }
    guard let scalar = Unicode.Scalar(value) else {
      throw JSONSyntaxError(offset: start, message: "unpaired surrogate in \\u escape")
    }
    return Array(String(Character(scalar)).utf8)
  }

  private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard index < bytes.count, let digit = Self.hexValue(bytes[index]) else {
        throw error("expected four hex digits after \\u")
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }

  private mutating func parseInteger() throws(JSONSyntaxError) -> Int {
    let start = index
    var negative = false
    if bytes[index] == UInt8(ascii: "-") {
      negative = true
      index += 1
    }
    let digitsStart = index
    var value = 0
    while index < bytes.count, let digit = Self.decimalValue(bytes[index]) {
      guard index - digitsStart < Self.maximumDigits else {
        throw JSONSyntaxError(offset: start, message: "number too large")
      }
      value = value * 10 + digit
      index += 1
    }
    guard index > digitsStart else { throw error("expected a digit") }
    if bytes[digitsStart] == UInt8(ascii: "0"), index - digitsStart > 1 {
      throw JSONSyntaxError(offset: start, message: "number with a leading zero")
    }
    if index < bytes.count,
      bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e")
        || bytes[index] == UInt8(ascii: "E")
    {
      throw JSONSyntaxError(offset: start, message: "number is not an integer")
    }
    return negative ? -value : value
  }

  private mutating func expect(_ byte: UInt8, _ message: String) throws(JSONSyntaxError) {
    skipWhitespace()
    guard index < bytes.count, bytes[index] == byte else { throw error(message) }
    index += 1
  }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(offset: index, message: message)
  }

  private static func decimalValue(_ byte: UInt8) -> Int? {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
  }

  private static func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
  }

  private static func printable(_ byte: UInt8) -> String {
    (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
  }
}
