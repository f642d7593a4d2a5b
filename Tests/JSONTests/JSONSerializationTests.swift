import Testing

@testable import JSON

/// `JSONValue.serialized` and `JSONEscaping`: the one way the switch writes JSON text.
@Suite("JSON: serializer and escaping")
struct JSONSerializationTests {
  @Test func escapingIsRFC8259() {
    #expect(JSONEscaping.quoted("") == #""""#)
    #expect(JSONEscaping.quoted(#"a"b\c"#) == #""a\"b\\c""#)
    #expect(JSONEscaping.quoted("l\nc\rt\t") == #""l\nc\rt\t""#)
    #expect(JSONEscaping.quoted("\u{0}\u{1}\u{8}\u{C}\u{1F}") == #""\u0000\u0001\u0008\u000c\u001f""#)
    // Non-ASCII, DEL and "/" are written as they are.
    #expect(JSONEscaping.quoted("é😀\u{7F}/") == "\"é😀\u{7F}/\"")
    var out = "x="
    JSONEscaping.quote("q", into: &out)
    #expect(out == #"x="q""#)
  }

  @Test func compactTextInMemberOrder() {
    let value = JSONValue.object([
      ("s", .string("a\"b\\c\n\u{1}é")), ("n", .number(-42)), ("t", .bool(true)), ("f", .bool(false)),
      ("z", .null), ("a", .array([.number(1), .object([])])), ("e", .array([])),
    ])
    #expect(
      value.serialized == #"{"s":"a\"b\\c\n\u0001é","n":-42,"t":true,"f":false,"z":null,"a":[1,{}],"e":[]}"#)
    #expect(JSONValue.text(nil) == .null)
    #expect(JSONValue.int(Int?(7)) == .number(7))
    #expect(JSONValue.int(Int64?.none) == .null)
  }

  @Test(arguments: [
    "{}", "[]", #"{"k":[1,-9223372036854775808,"\u0000\"é😀",null,{"n":{"m":[]}}]}"#, #""\\\/""#, "true",
  ])
  func readBackEqualsWhatWasWritten(text: String) throws {
    let value = try JSONParser.parse(text)
    #expect(try JSONParser.parse(value.serialized) == value)
    #expect(try JSONParser.parse(value.serialized).serialized == value.serialized)
  }

  @Test func equalityComparesMembersInOrder() {
    #expect(
      JSONValue.object([("a", .number(1)), ("b", .null)]) == .object([("a", .number(1)), ("b", .null)]))
    #expect(
      JSONValue.object([("a", .number(1)), ("b", .null)]) != .object([("b", .null), ("a", .number(1))]))
    #expect(JSONValue.number(1) != .string("1"))
  }
}
