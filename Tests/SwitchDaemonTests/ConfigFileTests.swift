import SwitchDaemon
import Testing

@Suite("ConfigFile: the TOML subset")
struct ConfigFileTests {
  struct Accepted: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var entries: [ConfigFile.Entry]
    var testDescription: String { name }
  }

  static let accepted: [Accepted] = [
    .init(name: "empty file", text: "", entries: []),
    .init(name: "only comments and blanks", text: "# a comment\n\n   \t\n  # another\n", entries: []),
    .init(
      name: "every value kind, with trailing comments",
      text: """
        [sip]  # the section
        listen = ["udp:127.0.0.1:5070", "tcp:[::1]:5070"]  # two
        max_message_size = 65535
        flag=true
        other = false
        name = "didtron # not a comment"
        """,
      entries: [
        .init(key: "sip.listen", value: .strings(["udp:127.0.0.1:5070", "tcp:[::1]:5070"]), line: 2),
        .init(key: "sip.max_message_size", value: .integer(65535), line: 3),
        .init(key: "sip.flag", value: .boolean(true), line: 4),
        .init(key: "sip.other", value: .boolean(false), line: 5),
        .init(key: "sip.name", value: .string("didtron # not a comment"), line: 6),
      ]),
    .init(
      name: "multi-line array with comments and a trailing comma",
      text: "[sip]\nlisten = [\n  \"udp:a:1\", # first\n\n  \"tcp:b:2\",\n]\nx = 1\n",
      entries: [
        .init(key: "sip.listen", value: .strings(["udp:a:1", "tcp:b:2"]), line: 2),
        .init(key: "sip.x", value: .integer(1), line: 7),
      ]),
    .init(
      name: "empty array", text: "[sip]\nlisten = []",
      entries: [.init(key: "sip.listen", value: .strings([]), line: 2)]),
    .init(
      name: "string escapes",
      text: #"[a]"# + "\n" + #"s = "q\"b\\n\n\t\u00e9\U0001F600""#,
      entries: [.init(key: "a.s", value: .string("q\"b\\n\n\t\u{e9}\u{1F600}"), line: 2)]),
    .init(
      name: "CRLF line ends", text: "[a]\r\nx = 1\r\ny = \"z\"\r\n",
      entries: [
        .init(key: "a.x", value: .integer(1), line: 2), .init(key: "a.y", value: .string("z"), line: 3),
      ]),
    .init(
      name: "signed integers and underscores", text: "[a]\nx = 4_194_304\ny = -1\nz = +0",
      entries: [
        .init(key: "a.x", value: .integer(4_194_304), line: 2),
        .init(key: "a.y", value: .integer(-1), line: 3),
        .init(key: "a.z", value: .integer(0), line: 4),
      ]),
    .init(
      name: "a key before any section", text: "x = 1\n[a]\nx = 2",
      entries: [.init(key: "x", value: .integer(1), line: 1), .init(key: "a.x", value: .integer(2), line: 3)]),
    .init(
      name: "UTF-8 in strings", text: "[a]\nx = \"zürich ☎\"",
      entries: [.init(key: "a.x", value: .string("zürich ☎"), line: 2)]),
  ]

  @Test(arguments: accepted)
  func parses(_ c: Accepted) throws {
    let file = try ConfigFile(parsing: c.text, path: "t.toml")
    #expect(file.entries == c.entries)
    #expect(file.path == "t.toml")
  }

  struct Rejected: Sendable, CustomTestStringConvertible {
    var text: String
    var line: Int
    var message: String
    var testDescription: String { "\(text.debugDescription) -> line \(line): \(message)" }
  }

  static let rejected: [Rejected] = [
    .init(text: "[proxy]\nnext_hop = 127.0.0.1:5080", line: 2, message: "expected a value"),
    .init(text: "[sip", line: 1, message: "expected ] to close the section header"),
    .init(text: "[a.b]", line: 1, message: "dotted section names are not supported"),
    .init(text: "[a]\nb.c = 1", line: 2, message: "dotted keys are not supported"),
    .init(text: "[[a]]", line: 1, message: "arrays of tables"),
    .init(text: "[a]\nx = 1.5", line: 2, message: "expected a value"),
    .init(text: "[a]\nx = \"open", line: 2, message: "unterminated string"),
    .init(text: "[a]\nx = \"open\ny = 1", line: 2, message: "unterminated string"),
    .init(text: "[a]\nx = 'lit'", line: 2, message: "literal strings"),
    .init(text: "[a]\nx = \"\"\"multi\"\"\"", line: 2, message: "multi-line strings"),
    .init(text: "[a]\nx = [1, 2]", line: 2, message: "arrays may only hold"),
    .init(text: "[a]\nx = [\"a\" \"b\"]", line: 2, message: "expected , or ]"),
    .init(text: "[a]\nx = [\"a\",\n", line: 3, message: "unterminated array"),
    .init(text: "[a]\nx = { y = 1 }", line: 2, message: "inline tables"),
    .init(text: "[a]\nx = 1 2", line: 2, message: "unexpected text at the end of the line: 2"),
    .init(text: "[a] x = 1", line: 1, message: "unexpected text at the end of the line"),
    .init(text: "[a]\nx =", line: 2, message: "expected a value after ="),
    .init(text: "[a]\nx = # nothing", line: 2, message: "expected a value after ="),
    .init(text: "[a]\nx 1", line: 2, message: "expected = after the key x"),
    .init(text: "[a]\n= 1", line: 2, message: "expected a key or a [section] header"),
    .init(text: "[a]\n\"x\" = 1", line: 2, message: "expected a key"),
    .init(text: "[a]\nx = 007", line: 2, message: "007 is not a valid integer"),
    .init(text: "[a]\nx = 1__0", line: 2, message: "1__0 is not a valid integer"),
    .init(text: "[a]\nx = 99999999999999999999", line: 2, message: "is not a valid integer"),
    .init(text: "[a]\nx = \"a\\qb\"", line: 2, message: "invalid escape \\q"),
    .init(text: "[a]\nx = \"\\uZZZZ\"", line: 2, message: "invalid unicode escape"),
    .init(text: "[a]\nx = \"tab\u{1}\"", line: 2, message: "control character"),
    .init(text: "[a]\n[b]\n[a]", line: 3, message: "section [a] appears twice (first on line 1)"),
    .init(text: "[a]\nx = 1\n\nx = 2", line: 4, message: "set twice (first on line 2)"),
    .init(text: "[a]\nx = TRUE", line: 2, message: "expected a value"),
  ]

  @Test(arguments: rejected)
  func rejects(_ c: Rejected) {
    #expect {
      try ConfigFile(parsing: c.text, path: "bad.toml")
    } throws: { error in
      guard let error = error as? ConfigError else { return false }
      return error.origin == .file(path: "bad.toml", line: c.line) && error.message.contains(c.message)
    }
  }

  @Test func unreadableFileNamesThePath() {
    #expect {
      try ConfigFile(contentsOf: "/nonexistent/didtron-switch.toml")
    } throws: { error in
      "\(error)" == "cannot open /nonexistent/didtron-switch.toml: No such file or directory"
    }
  }
}
