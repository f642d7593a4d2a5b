/// Strings and integers: the two scalar grammars with escapes and bounds.
extension JSONParser {
  mutating func parseString() throws(JSONSyntaxError) -> String {
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

  /// `-`? digits, at most `limits.maxIntegerDigits` of them and within `Int64`;
  /// no leading zero, no fraction or exponent.
  mutating func parseInteger() throws(JSONSyntaxError) -> Int64 {
    let start = index
    let negative = bytes[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    let digitsStart = index
    var magnitude: UInt64 = 0
    while index < bytes.count, let digit = Self.decimalValue(bytes[index]) {
      guard index - digitsStart < limits.maxIntegerDigits else {
        throw JSONSyntaxError(offset: start, message: "number too large")
      }
      magnitude = magnitude * 10 + digit  // 19 digits fit a UInt64
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
    let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
    guard magnitude <= limit else { throw JSONSyntaxError(offset: start, message: "number too large") }
    return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
  }

  private static func decimalValue(_ byte: UInt8) -> UInt64? {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? UInt64(byte - UInt8(ascii: "0")) : nil
  }

  private static func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
  }
}
