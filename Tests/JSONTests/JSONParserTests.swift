import Testing

@testable import JSON

/// `JSONParser`: RFC 8259 read strictly, bounded, and integers only.
@Suite("JSON: parser")
struct JSONParserTests {
  func failure(_ text: String, limits: JSONParser.Limits = .init(), allowing kinds: JSONKinds = .all)
    -> String?
  {
    do {
      _ = try JSONParser.parse(text, limits: limits, allowing: kinds)
      return nil
    } catch {
      return error.description
    }
  }

  @Test func readsEveryKindAndKeepsMemberOrder() throws {
    let value = try JSONParser.parse(#" { "b" : [1, -2, true, false, null], "a": {"x": "y"}, "b": {} } "#)
    guard case .object(let members) = value else {
      Issue.record("not an object: \(value)")
      return
    }
    #expect(members.map(\.0) == ["b", "a", "b"])
    #expect(value["b"] == .array([.number(1), .number(-2), .bool(true), .bool(false), .null]))
    #expect(value["a"]?["x"]?.stringValue == "y")
    #expect(try JSONParser.parse("[]") == .array([]))
    #expect(try JSONParser.parse("\"\"") == .string(""))
  }

  @Test(arguments: [
    ("", "unexpected end of text at byte 0"),
    ("{bad", "expected a string key at byte 1"),
    (#"{"a":1,}"#, "expected a string key at byte 7"),
    (#"{"a" 1}"#, "expected ':' at byte 5"),
    (#"{"a":1"#, "unexpected end of text in an object at byte 6"),
    ("[1 2]", "expected ',' or ']' at byte 3"),
    ("[1,", "unexpected end of text at byte 3"),
    ("{} {}", "unexpected text after the value at byte 3"),
    ("tru", "unexpected character 't' at byte 0"),
    ("nul!", "unexpected character 'n' at byte 0"),
    ("+1", "unexpected character '+' at byte 0"),
    ("\"open", "unterminated string at byte 5"),
    ("\"a\\", "unterminated string at byte 3"),
    (#""x\q""#, #"invalid escape '\q' at byte 3"#),
    ("\"a\u{1}\"", "control character in a string at byte 2"),
    ("\u{FEFF}1", "unexpected character '0xef' at byte 0"),
  ])
  func malformedTextIsRefusedWithItsPlace(text: String, message: String) {
    #expect(failure(text) == message)
  }

  @Test func unicodeEscapesAndSurrogatePairs() throws {
    let text = #""\u00e9\u00E9 \ud83d\ude00 \/\b\f\n\r\t\"\\ é😀""#
    #expect(try JSONParser.parse(text) == .string("éé 😀 /\u{8}\u{C}\n\r\t\"\\ é😀"))
    #expect(failure(#""\ud83d""#) == #"unpaired surrogate in \u escape at byte 1"#)
    #expect(failure(#""\ud83d\u0041""#) == #"unpaired surrogate in \u escape at byte 1"#)
    #expect(failure(#""\ude00""#) == #"unpaired surrogate in \u escape at byte 1"#)
    #expect(failure(#""\u12g4""#) == #"expected four hex digits after \u at byte 5"#)
  }

  @Test func numbersAreIntegersWithinInt64NeverFractions() throws {
    #expect(try JSONParser.parse("0") == .number(0))
    #expect(try JSONParser.parse("-0") == .number(0))
    #expect(try JSONParser.parse("9223372036854775807") == .number(.max))
    #expect(try JSONParser.parse("-9223372036854775808") == .number(.min))
    #expect(failure("9223372036854775808") == "number too large at byte 0")
    #expect(failure("[-9223372036854775809]") == "number too large at byte 1")
    #expect(failure("12345678901234567890") == "number too large at byte 0")
    // Money never goes through a binary fraction: amounts are decimal text.
    #expect(failure("1.5") == "number is not an integer at byte 0")
    #expect(failure("[0.10]") == "number is not an integer at byte 1")
    #expect(failure("1e3") == "number is not an integer at byte 0")
    #expect(failure("2E-1") == "number is not an integer at byte 0")
    #expect(failure("007") == "number with a leading zero at byte 0")
    #expect(failure("-") == "expected a digit at byte 1")
    #expect(failure("-x") == "expected a digit at byte 1")
  }

  @Test func depthSizeAndDigitLimits() throws {
    let limits = JSONParser.Limits(maxDepth: 3, maxBytes: 16, maxIntegerDigits: 3)
    #expect(try JSONParser.parse("[[{\"a\":1}]]", limits: limits)["a"] == nil)
    #expect(failure("[[[[1]]]]", limits: limits) == "nested too deep at byte 3")
    #expect(
      failure(#"{"a":{"b":{"c":{}}}}"#, limits: JSONParser.Limits(maxDepth: 3))
        == "nested too deep at byte 15")
    #expect(failure(String(repeating: " ", count: 17), limits: limits) == "text over 16 bytes at byte 16")
    #expect(try JSONParser.parse("-999", limits: limits) == .number(-999))
    #expect(failure("1000", limits: limits) == "number too large at byte 0")
    // The defaults: 32 levels, 1 MiB.
    #expect(
      try JSONParser.parse(String(repeating: "[", count: 32) + String(repeating: "]", count: 32)) != .null)
    #expect(failure(String(repeating: "[", count: 33)) == "nested too deep at byte 32")
    #expect(failure(String(repeating: "[", count: 100_000)) == "nested too deep at byte 32")
    #expect(
      failure(String(repeating: " ", count: (1 << 20) + 1)) == "text over 1048576 bytes at byte 1048576")
  }

  @Test func onlyTheAllowedKinds() throws {
    let subset: JSONKinds = [.objects, .strings, .numbers]
    #expect(try JSONParser.parse(#"{"a": {"b": "c", "d": 4}}"#, allowing: subset)["a"]?["d"] == .number(4))
    let message = "only objects, strings and integers are allowed"
    #expect(failure("[486]", allowing: subset) == "\(message) at byte 0")
    #expect(failure(#"{"a": true}"#, allowing: subset) == "\(message) at byte 6")
    #expect(failure(#"{"a": null}"#, allowing: subset) == "\(message) at byte 6")
    #expect(failure("1", allowing: [.strings]) == "only strings are allowed at byte 0")
  }
}
