import Glibc

/// A configuration file, in the small subset of TOML that didtron-switch reads:
///
/// - `# comments`, to the end of a line, anywhere outside a string;
/// - `[section]` headers (bare names, each section once);
/// - `key = value` lines (bare keys, each key once per section), where a value
///   is a `"basic string"` (escapes `\" \\ \n \t \r \b \f \uXXXX \UXXXXXXXX`),
///   a decimal integer (`65535`, `-1`, `4_194_304`), `true` / `false`, or an
///   array of strings `["a", "b"]` (which may span lines, with a trailing comma).
///
/// Anything else (dotted or quoted keys, literal or multi-line strings, floats,
/// dates, inline tables, arrays of tables) is an error naming the line.
public struct ConfigFile: Sendable, Equatable {
  /// One `key = value`, with its key qualified by its section (`proxy.next_hop`).
  public struct Entry: Sendable, Equatable {
    public var key: String
    public var value: ConfigValue
    /// The 1-based line of the key.
    public var line: Int

    public init(key: String, value: ConfigValue, line: Int) {
      self.key = key
      self.value = value
      self.line = line
    }
  }

  /// The path used in messages (as given, not resolved).
  public var path: String
  /// The entries in file order.
  public var entries: [Entry]

  public init(parsing text: String, path: String) throws(ConfigError) {
    self.path = path
    var parser = Parser(text: text, path: path)
    self.entries = try parser.parseDocument()
  }

  /// Reads the whole file at `path` as UTF-8 text.
  public static func readText(atPath path: String) throws(ConfigError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ConfigError("cannot open \(path): \(Self.errnoText())") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw ConfigError("cannot read \(path): \(Self.errnoText())")
      }
      if n == 0 { break }
      bytes += chunk[0..<n]
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ConfigError("cannot read \(path): the file is not valid UTF-8")
    }
    return text
  }

  private static func errnoText() -> String {
    String(cString: strerror(errno))
  }
}

extension ConfigFile {
  /// A scanner over the file's bytes that tracks the current line.
  private struct Parser {
    let bytes: [UInt8]
    let path: String
    var position = 0
    var line = 1

    init(text: String, path: String) {
      self.bytes = Array(text.utf8)
      self.path = path
    }

    mutating func parseDocument() throws(ConfigError) -> [Entry] {
      var entries: [Entry] = []
      var section: String?
      var seenSections: [String: Int] = [:]
      var seenKeys: [String: Int] = [:]
      while true {
        skipBlanks()
        guard let c = peek() else { break }
        if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "#") {
          try endOfLine()
          continue
        }
        let startLine = line
        if c == UInt8(ascii: "[") {
          position += 1
          if peek() == UInt8(ascii: "[") { throw error("arrays of tables ([[...]]) are not supported") }
          skipBlanks()
          let name = try bareKey(what: "a section name")
          skipBlanks()
          guard peek() == UInt8(ascii: "]") else {
            throw error(
              peek() == UInt8(ascii: ".")
                ? "dotted section names are not supported" : "expected ] to close the section header")
          }
          position += 1
          if let first = seenSections[name] {
            throw error("section [\(name)] appears twice (first on line \(first))")
          }
          seenSections[name] = startLine
          section = name
          try endOfLine()
          continue
        }
        let name = try bareKey(what: "a key or a [section] header")
        skipBlanks()
        if peek() == UInt8(ascii: ".") { throw error("dotted keys are not supported") }
        guard peek() == UInt8(ascii: "=") else { throw error("expected = after the key \(name)") }
        position += 1
        skipBlanks()
        let value = try parseValue()
        try endOfLine()
        let key = section.map { "\($0).\(name)" } ?? name
        if let first = seenKeys[key] {
          throw ConfigError(
            key: key, origin: .file(path: path, line: startLine), "set twice (first on line \(first))")
        }
        seenKeys[key] = startLine
        entries.append(Entry(key: key, value: value, line: startLine))
      }
      return entries
    }

    // MARK: values

    mutating func parseValue() throws(ConfigError) -> ConfigValue {
      guard let c = peek(), c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r"), c != UInt8(ascii: "#")
      else { throw error("expected a value after =") }
      switch c {
      case UInt8(ascii: "\""):
        return .string(try basicString())
      case UInt8(ascii: "'"):
        throw error("literal strings ('...') are not supported; use double quotes")
      case UInt8(ascii: "["):
        return .strings(try stringArray())
      case UInt8(ascii: "{"):
        throw error("inline tables are not supported")
      default:
        let word = bareWord()
        switch word {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        default:
          if let i = Self.integer(word) { return .integer(i) }
          if word.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true,
            word.allSatisfy({ $0.isNumber || "+-_".contains($0) })
          {
            throw error("\(word) is not a valid integer")
          }
          throw error(
            "expected a value (a \"string\", an integer, true, false or [\"array\", \"of strings\"]), found \(word.isEmpty ? "nothing" : word)"
          )
        }
      }
    }

    /// Decimal integer with optional sign and single underscores between digits.
    static func integer(_ word: String) -> Int? {
      var digits = Substring(word)
      var sign = ""
      if let f = digits.first, f == "+" || f == "-" {
        if f == "-" { sign = "-" }
        digits.removeFirst()
      }
      guard let first = digits.first, let last = digits.last, first.isASCII, first.isNumber,
        last.isASCII, last.isNumber, !digits.contains("__")
      else { return nil }
      if digits.count > 1, first == "0" { return nil }  // TOML forbids leading zeros
      let plain = digits.filter { $0 != "_" }
      guard plain.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
      return Int(sign + plain)
    }

    mutating func basicString() throws(ConfigError) -> String {
      position += 1  // opening quote
      if peek() == UInt8(ascii: "\""), peek(offset: 1) == UInt8(ascii: "\"") {
        throw error("multi-line strings (\"\"\"...\"\"\") are not supported")
      }
      var scalars = String.UnicodeScalarView()
      var raw: [UInt8] = []
      func flush() {
        scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
        raw.removeAll()
      }
      while true {
        guard let c = peek(), c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r") else {
          throw error("unterminated string")
        }
        position += 1
        if c == UInt8(ascii: "\"") { break }
        if c < 0x20 && c != UInt8(ascii: "\t") || c == 0x7F {
          throw error("control character in a string; use an escape")
        }
        guard c == UInt8(ascii: "\\") else {
          raw.append(c)
          continue
        }
        flush()
        guard let e = peek() else { throw error("unterminated string") }
        position += 1
        switch e {
        case UInt8(ascii: "\""): scalars.append("\"")
        case UInt8(ascii: "\\"): scalars.append("\\")
        case UInt8(ascii: "n"): scalars.append("\n")
        case UInt8(ascii: "t"): scalars.append("\t")
        case UInt8(ascii: "r"): scalars.append("\r")
        case UInt8(ascii: "b"): scalars.append("\u{8}")
        case UInt8(ascii: "f"): scalars.append("\u{C}")
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
          let count = e == UInt8(ascii: "u") ? 4 : 8
          guard position + count <= bytes.count,
            let code = UInt32(String(decoding: bytes[position..<position + count], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(code)
          else { throw error("invalid unicode escape in a string") }
          position += count
          scalars.append(scalar)
        default:
          throw error("invalid escape \\\(Character(Unicode.Scalar(e))) in a string")
        }
      }
      flush()
      return String(scalars)
    }

    mutating func stringArray() throws(ConfigError) -> [String] {
      position += 1  // [
      var items: [String] = []
      while true {
        try skipWhitespaceCommentsAndNewlines()
        guard let c = peek() else { throw error("unterminated array") }
        if c == UInt8(ascii: "]") {
          position += 1
          return items
        }
        guard c == UInt8(ascii: "\"") else { throw error("arrays may only hold \"strings\"") }
        items.append(try basicString())
        try skipWhitespaceCommentsAndNewlines()
        switch peek() {
        case UInt8(ascii: ","): position += 1
        case UInt8(ascii: "]"):
          position += 1
          return items
        case nil: throw error("unterminated array")
        default: throw error("expected , or ] in the array")
        }
      }
    }

    // MARK: lexical helpers

    func peek(offset: Int = 0) -> UInt8? {
      position + offset < bytes.count ? bytes[position + offset] : nil
    }

    func error(_ message: String) -> ConfigError {
      ConfigError(origin: .file(path: path, line: line), message)
    }

    mutating func skipBlanks() {
      while let c = peek(), c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { position += 1 }
    }

    /// Blanks, then an optional comment, then `\n` or `\r\n` (or the end of the file).
    mutating func endOfLine() throws(ConfigError) {
      skipBlanks()
      if peek() == UInt8(ascii: "#") {
        while let c = peek(), c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r") { position += 1 }
      }
      switch peek() {
      case nil: return
      case UInt8(ascii: "\n"):
        position += 1
        line += 1
      case UInt8(ascii: "\r") where peek(offset: 1) == UInt8(ascii: "\n"):
        position += 2
        line += 1
      default:
        throw error("unexpected text at the end of the line: \(bareWord())")
      }
    }

    mutating func skipWhitespaceCommentsAndNewlines() throws(ConfigError) {
      while true {
        skipBlanks()
        switch peek() {
        case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): try endOfLine()
        default: return
        }
      }
    }

    mutating func bareKey(what: String) throws(ConfigError) -> String {
      let start = position
      while let c = peek(), Self.isBareKeyByte(c) { position += 1 }
      guard position > start else {
        let found = bareWord()
        throw error("expected \(what), found \(found.isEmpty ? "nothing" : found)")
      }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// The run of non-blank, non-structural bytes at the cursor (consumed), for values and messages.
    mutating func bareWord() -> String {
      let start = position
      while let c = peek(), c > 0x20, c != UInt8(ascii: "#"), c != UInt8(ascii: ","),
        c != UInt8(ascii: "]")
      {
        position += 1
      }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    static func isBareKeyByte(_ c: UInt8) -> Bool {
      switch c {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
        true
      default: false
      }
    }
  }
}
