import JSON

/// One value of the configuration file's TOML subset, or of an environment
/// variable or command-line flag converted to a key's kind.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
  case string(String)
  case integer(Int)
  case boolean(Bool)
  case strings([String])

  /// The kinds of value a configuration key can hold.
  public enum Kind: Sendable, Equatable, CustomStringConvertible {
    case string, integer, boolean, strings

    public var description: String {
      switch self {
      case .string: "a string"
      case .integer: "an integer"
      case .boolean: "a boolean"
      case .strings: "an array of strings"
      }
    }
  }

  public var kind: Kind {
    switch self {
    case .string: .string
    case .integer: .integer
    case .boolean: .boolean
    case .strings: .strings
    }
  }

  /// The value written as TOML (strings quoted and escaped).
  public var description: String {
    switch self {
    case .string(let s): Self.quote(s)
    case .integer(let i): String(i)
    case .boolean(let b): String(b)
    case .strings(let a): "[" + a.map(Self.quote).joined(separator: ", ") + "]"
    }
  }

  /// Converts the text of an environment variable or a command-line flag to
  /// `kind`: integers in decimal, booleans as true/false/1/0/yes/no, arrays
  /// comma-separated (blanks around items are dropped). Nil if it does not fit.
  public init?(text: String, as kind: Kind) {
    let trimmed = text.trimmingBlanks()
    switch kind {
    case .string:
      self = .string(text)
    case .integer:
      guard let i = Int(trimmed) else { return nil }
      self = .integer(i)
    case .boolean:
      switch trimmed.lowercased() {
      case "true", "1", "yes": self = .boolean(true)
      case "false", "0", "no": self = .boolean(false)
      default: return nil
      }
    case .strings:
      let items = trimmed.split(separator: ",").map { String($0).trimmingBlanks() }
      self = .strings(items.filter { !$0.isEmpty })
    }
  }

  /// A TOML basic string: JSON's escaping (RFC 8259 §7) is a subset of TOML's
  /// escapes, and it writes control characters as `\u00XX`, which TOML needs.
  static func quote(_ s: String) -> String { JSONEscaping.quoted(s) }
}

extension String {
  /// The string without leading and trailing spaces and tabs.
  func trimmingBlanks() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
  }
}
