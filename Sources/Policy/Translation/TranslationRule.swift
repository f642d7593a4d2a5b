/// One rule of a translation list (docs/policy-translation.md): either a
/// regular expression with a replacement, or a prefix with a strip count and
/// digits to add. Immutable once parsed.
public struct TranslationRule: Sendable, CustomStringConvertible {
  /// How the rule matches and rewrites.
  enum Action: Sendable {
    /// `/PATTERN/REPLACEMENT/FLAGS`: searches for the pattern and replaces the
    /// first match (every match with `everyMatch`).
    case regex(CompiledRegex, Replacement, everyMatch: Bool)
    /// `prefix:P strip:N add:A`: numbers starting with `prefix` lose their
    /// first `strip` characters and gain `add` in front.
    case prefix(String, strip: Int, add: String)
  }

  let action: Action
  /// After this rule applied, the following rules are tried too.
  public let continues: Bool
  /// The rule as written (without surrounding spaces), for logs.
  public let source: String

  init(action: Action, continues: Bool, source: String) {
    self.action = action
    self.continues = continues
    self.source = source
  }

  public var description: String { source }

  /// The rewritten number, or `nil` when the rule does not match `number`.
  public func apply(to number: String) -> String? {
    switch action {
    case .prefix(let prefix, let strip, let add):
      guard number.utf8.starts(with: prefix.utf8) else { return nil }
      return add + number.dropFirst(strip)
    case .regex(let compiled, let replacement, let everyMatch):
      if everyMatch {
        let matches = number.matches(of: compiled.regex)
        guard !matches.isEmpty else { return nil }
        var result = ""
        var rest = number.startIndex
        for match in matches {
          result += number[rest..<match.range.lowerBound]
          result += replacement.expand(match.output)
          rest = match.range.upperBound
        }
        return result + number[rest...]
      }
      guard let match = number.firstMatch(of: compiled.regex) else { return nil }
      return number[..<match.range.lowerBound] + replacement.expand(match.output)
        + number[match.range.upperBound...]
    }
  }
}

/// A compiled pattern. `Regex<AnyRegexOutput>` is not `Sendable` (Swift 6.3),
/// so it is boxed; the box is immutable after init and matching does not
/// mutate the regex, which makes sharing it between threads safe.
struct CompiledRegex: @unchecked Sendable {
  let regex: Regex<AnyRegexOutput>
}

/// A parsed REPLACEMENT: literal text and capture group references.
struct Replacement: Sendable, Equatable {
  enum Piece: Sendable, Equatable {
    case literal(String)
    case group(Int)
    case named(String)
  }

  var pieces: [Piece]

  /// The replacement for one match; a group that did not take part in the match gives "".
  func expand(_ output: AnyRegexOutput) -> String {
    var text = ""
    for piece in pieces {
      switch piece {
      case .literal(let literal): text += literal
      case .group(let index):
        if index < output.count, let substring = output[index].substring { text += substring }
      case .named(let name):
        if let substring = output[name]?.substring { text += substring }
      }
    }
    return text
  }

  /// Reads `$0`..`$9`, `${N}`, `${name}` and `$$`; `\` takes the next character literally.
  static func parse(_ text: String) throws(TranslationRules.RuleProblem) -> Replacement {
    var pieces: [Piece] = []
    var literal = ""
    var index = text.startIndex
    func flush() {
      if !literal.isEmpty { pieces.append(.literal(literal)) }
      literal = ""
    }
    while index < text.endIndex {
      let character = text[index]
      index = text.index(after: index)
      if character == "\\", index < text.endIndex {
        literal.append(text[index])
        index = text.index(after: index)
        continue
      }
      guard character == "$" else {
        literal.append(character)
        continue
      }
      guard index < text.endIndex else {
        throw TranslationRules.RuleProblem("'$' at the end of the replacement")
      }
      let next = text[index]
      if next == "$" {
        literal.append("$")
        index = text.index(after: index)
      } else if let digit = next.wholeNumberValue, next.isASCII {
        flush()
        pieces.append(.group(digit))
        index = text.index(after: index)
      } else if next == "{" {
        guard let close = text[index...].firstIndex(of: "}") else {
          throw TranslationRules.RuleProblem("'${' without a closing '}' in the replacement")
        }
        let name = String(text[text.index(after: index)..<close])
        guard !name.isEmpty else { throw TranslationRules.RuleProblem("empty '${}' in the replacement") }
        flush()
        if name.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let number = Int(name) {
          pieces.append(.group(number))
        } else {
          pieces.append(.named(name))
        }
        index = text.index(after: close)
      } else {
        throw TranslationRules.RuleProblem(
          "'$' must be followed by a digit, {name} or '$' in the replacement")
      }
    }
    flush()
    return Replacement(pieces: pieces)
  }
}
