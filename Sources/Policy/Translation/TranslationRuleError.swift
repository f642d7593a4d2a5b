/// A translation setting that cannot be read: a rule list that does not parse,
/// or an unknown value in one of the other translation columns. The
/// description names where the problem is and what it is, for the reload log:
/// `destination_translation: rule 2: regex does not compile: ...`.
public struct TranslationRuleError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The column the value came from; set by `TranslationSettings.parse`.
  public var column: String?
  /// The 1-based number of the rule in its list (blank and comment lines are not counted).
  public var rule: Int?
  /// The 1-based line of the rule in the column's text; nil when the text is one line.
  public var line: Int?
  /// What is wrong, naming the value at fault.
  public var problem: String

  public init(column: String? = nil, rule: Int? = nil, line: Int? = nil, problem: String) {
    self.column = column
    self.rule = rule
    self.line = line
    self.problem = problem
  }

  /// `column: rule N (line L): problem`; the line is given only when it differs from the rule number.
  public var description: String {
    var text = ""
    if let column { text += column + ": " }
    if let rule {
      text += "rule \(rule)"
      if let line, line != rule { text += " (line \(line))" }
      text += ": "
    }
    return text + problem
  }
}
