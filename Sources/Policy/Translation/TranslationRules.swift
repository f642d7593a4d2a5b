import SIPCore

/// An ordered list of translation rules, read from one of the columns
/// `global_translation`, `origin_translation`, `destination_translation`.
/// The format is documented in docs/policy-translation.md:
///
/// - one rule per line, or several on a line separated by `;`; blank lines
///   and lines starting with `#` are ignored;
/// - `/PATTERN/REPLACEMENT/FLAGS`: PATTERN is searched in the number (anchor
///   it with `^` and `$`), the first match is replaced by REPLACEMENT (`$0`..`$9`,
///   `${N}`, `${name}`, `$$`); a `/` inside is written `\/`; FLAGS are `c`
///   (continue), `g` (every match), `i` (ignore case);
/// - `prefix:DIGITS [strip:N] [add:DIGITS]`: a number starting with DIGITS
///   loses its first N characters and gains the added digits in front;
/// - a trailing word `continue` (either form) or the flag `c`: after this rule
///   applied, the following rules are tried too. Without it the first rule
///   that matches ends the list; a rule that does not match passes on.
public struct TranslationRules: Sendable {
  /// The rules in the order they are tried.
  public let rules: [TranslationRule]

  /// No rules: `apply` returns the number unchanged.
  public static let none = TranslationRules(rules: [])

  init(rules: [TranslationRule]) { self.rules = rules }

  /// Parses a column's text; `nil` or blank text is `none`. The error names
  /// the rule (and line) and the problem.
  public init(parsing text: String?) throws(TranslationRuleError) {
    guard let text else {
      self = .none
      return
    }
    var rules: [TranslationRule] = []
    var lineNumber = 0
    let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    for rawLine in lines {
      lineNumber += 1
      let line = rawLine.trimmingWhitespace()
      if line.isEmpty || line.first == "#" { continue }
      var rest = line
      while true {
        rest = rest.trimmingWhitespace()
        if rest.first == ";" {
          rest = rest.dropFirst()
          continue
        }
        if rest.isEmpty { break }
        let number = rules.count + 1
        do throws(RuleProblem) {
          let (rule, remainder) = try Self.parseRule(rest)
          rules.append(rule)
          rest = remainder
        } catch {
          throw TranslationRuleError(
            rule: number, line: lines.count > 1 ? lineNumber : nil, problem: error.text)
        }
      }
    }
    self.rules = rules
  }

  public var isEmpty: Bool { rules.isEmpty }

  /// The number after the rules: each rule in turn; a rule that matches
  /// rewrites the number and ends the list unless it continues.
  public func apply(to number: String) -> String {
    var number = number
    for rule in rules {
      guard let rewritten = rule.apply(to: number) else { continue }
      number = rewritten
      if !rule.continues { break }
    }
    return number
  }

  // MARK: Parsing

  struct RuleProblem: Error {
    var text: String
    init(_ text: String) { self.text = text }
  }

  private static let expected =
    "expected /PATTERN/REPLACEMENT/FLAGS or prefix:DIGITS [strip:N] [add:DIGITS] [continue]"

  /// Parses the rule at the start of `text` (no leading space); returns it and
  /// the text after it, which is empty or starts with `;`.
  static func parseRule(_ text: Substring) throws(RuleProblem) -> (TranslationRule, Substring) {
    if text.first == "/" { return try parseRegexRule(text) }
    let end = text.firstIndex(of: ";") ?? text.endIndex
    let source = text[..<end].trimmingWhitespace()
    let first = source.prefix { !$0.isRuleSpace }
    guard first.hasPrefix("prefix:") || first.hasPrefix("strip:") || first.hasPrefix("add:") else {
      throw RuleProblem("not a rule '\(source)': \(expected)")
    }
    return (try parsePrefixRule(source), text[end...])
  }

  private static func parsePrefixRule(_ source: Substring) throws(RuleProblem) -> TranslationRule {
    var prefix: String?
    var strip: Int?
    var add: String?
    var continues = false
    for part in source.split(whereSeparator: { $0.isRuleSpace }) {
      if continues { throw RuleProblem("'continue' must be the last word, found '\(part)' after it") }
      if part == "continue" {
        continues = true
      } else if part.hasPrefix("prefix:") {
        guard prefix == nil else { throw RuleProblem("'prefix:' given twice") }
        prefix = try digits(part.dropFirst(7), "prefix")
      } else if part.hasPrefix("strip:") {
        guard strip == nil else { throw RuleProblem("'strip:' given twice") }
        let value = part.dropFirst(6)
        guard !value.isEmpty, value.utf8.count <= 4, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
          let count = Int(value)
        else { throw RuleProblem("strip: '\(value)' is not a number of characters (0-9999)") }
        strip = count
      } else if part.hasPrefix("add:") {
        guard add == nil else { throw RuleProblem("'add:' given twice") }
        add = try digits(part.dropFirst(4), "add")
      } else {
        throw RuleProblem("unknown part '\(part)' (prefix:, strip:, add:, continue)")
      }
    }
    guard let prefix else { throw RuleProblem("a prefix rule needs 'prefix:' (it may be empty: 'prefix:')") }
    return TranslationRule(
      action: .prefix(prefix, strip: strip ?? 0, add: add ?? ""), continues: continues,
      source: String(source))
  }

  private static func digits(_ value: Substring, _ name: String) throws(RuleProblem) -> String {
    guard value.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x23 || $0 == 0x2A })
    else { throw RuleProblem("\(name): '\(value)' may hold only digits, +, # and *") }
    return String(value)
  }

  private static func parseRegexRule(_ text: Substring) throws(RuleProblem) -> (TranslationRule, Substring) {
    var index = text.index(after: text.startIndex)
    // PATTERN: `\/` becomes `/`; any other escape stays for the regex engine.
    var pattern = ""
    var replacementText = ""
    var closed = false
    while index < text.endIndex {
      let character = text[index]
      index = text.index(after: index)
      if character == "/" {
        closed = true
        break
      }
      if character == "\\", index < text.endIndex {
        let next = text[index]
        index = text.index(after: index)
        if next != "/" { pattern.append("\\") }
        pattern.append(next)
      } else {
        pattern.append(character)
      }
    }
    guard closed else { throw RuleProblem("regex rule is not closed: expected /PATTERN/REPLACEMENT/FLAGS") }
    // REPLACEMENT: kept with its escapes for `Replacement.parse`, which takes
    // `\x` as a literal x.
    closed = false
    while index < text.endIndex {
      let character = text[index]
      index = text.index(after: index)
      if character == "/" {
        closed = true
        break
      }
      replacementText.append(character)
      if character == "\\", index < text.endIndex {
        replacementText.append(text[index])
        index = text.index(after: index)
      }
    }
    guard closed else {
      throw RuleProblem(
        "regex rule has no closing '/' after the replacement: expected /PATTERN/REPLACEMENT/FLAGS")
    }
    var continues = false
    var everyMatch = false
    var ignoresCase = false
    while index < text.endIndex, !text[index].isRuleSpace, text[index] != ";" {
      switch text[index] {
      case "c": continues = true
      case "g": everyMatch = true
      case "i": ignoresCase = true
      default:
        throw RuleProblem("unknown flag '\(text[index])' (c = continue, g = every match, i = ignore case)")
      }
      index = text.index(after: index)
    }
    var rest = text[index...].trimmingWhitespace()
    if rest.hasPrefix("continue"), rest.dropFirst(8).first.map({ $0.isRuleSpace || $0 == ";" }) ?? true {
      continues = true
      rest = rest.dropFirst(8).trimmingWhitespace()
    }
    if let first = rest.first, first != ";" {
      throw RuleProblem("unexpected text after the rule: '\(rest.prefix { $0 != ";" })'")
    }
    guard !pattern.isEmpty else { throw RuleProblem("empty regex pattern") }

    let regex: Regex<AnyRegexOutput>
    do {
      regex = try Regex(pattern).ignoresCase(ignoresCase)
    } catch {
      throw RuleProblem("regex does not compile: /\(pattern)/: \(error)")
    }
    let replacement = try Replacement.parse(replacementText)
    try checkGroups(replacement, pattern: pattern)

    let rule = TranslationRule(
      action: .regex(CompiledRegex(regex: regex), replacement, everyMatch: everyMatch),
      continues: continues, source: String(text[..<rest.startIndex].trimmingWhitespace()))
    return (rule, rest)
  }

  /// Refuses group references the pattern cannot fill. The groups are read
  /// from a probe `(?:PATTERN)|` matched against "" (its empty alternative
  /// always matches, and the output lists every group of the pattern). A
  /// pattern the probe cannot compile (e.g. an extended-mode comment) is not
  /// checked; its missing groups expand to "".
  private static func checkGroups(_ replacement: Replacement, pattern: String) throws(RuleProblem) {
    guard let probe = try? Regex("(?:" + pattern + ")|"), let output = "".firstMatch(of: probe)?.output
    else { return }
    let groupCount = output.count - 1
    for piece in replacement.pieces {
      switch piece {
      case .literal: break
      case .group(let index):
        guard index <= groupCount else {
          throw RuleProblem(
            "replacement uses $\(index) but the pattern has \(groupCount) group\(groupCount == 1 ? "" : "s")")
        }
      case .named(let name):
        guard output.contains(where: { $0.name == name }) else {
          throw RuleProblem("replacement uses ${\(name)} but the pattern has no group named '\(name)'")
        }
      }
    }
  }
}

extension Character {
  fileprivate var isRuleSpace: Bool { self == " " || self == "\t" }
}
