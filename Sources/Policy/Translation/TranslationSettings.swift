import SIPCore

/// One interconnect's `interconnect_translation_settings` row, parsed
/// (docs/policy-translation.md). Without a row, use `TranslationSettings()`.
public struct TranslationSettings: Sendable {
  /// Where the caller number is read from, in order; the first source present wins, else From.
  public var originationPreference: [IdentitySource]
  /// What happens to a caller number that is not E.164-shaped.
  public var originationValidation: OriginationValidation
  /// What happens to P-Asserted-Identity on calls from this interconnect.
  public var setPAI: PAIMode
  /// Applied first, to both numbers.
  public var global: TranslationRules
  /// Applied to the caller number after `global`.
  public var origin: TranslationRules
  /// Applied to the called number after `global`.
  public var destination: TranslationRules

  public init(
    originationPreference: [IdentitySource] = [.from], originationValidation: OriginationValidation = .none,
    setPAI: PAIMode = .keep, global: TranslationRules = .none, origin: TranslationRules = .none,
    destination: TranslationRules = .none
  ) {
    self.originationPreference = originationPreference
    self.originationValidation = originationValidation
    self.setPAI = setPAI
    self.global = global
    self.origin = origin
    self.destination = destination
  }

  /// Reads the row's text columns. NULL or blank values are the defaults
  /// (`from`, `none`, `keep`, no rules); keywords are case-insensitive. The
  /// error names the column and the bad value.
  public static func parse(
    originationPreference: String?, originationValidation: String?, setPAIHeader: String?,
    global: String?, origin: String?, destination: String?
  ) throws(TranslationRuleError) -> TranslationSettings {
    TranslationSettings(
      originationPreference: try IdentitySource.parseList(originationPreference),
      originationValidation: try OriginationValidation.parse(originationValidation),
      setPAI: try PAIMode.parse(setPAIHeader),
      global: try rules(global, column: "global_translation"),
      origin: try rules(origin, column: "origin_translation"),
      destination: try rules(destination, column: "destination_translation"))
  }

  private static func rules(_ text: String?, column: String) throws(TranslationRuleError) -> TranslationRules
  {
    do { return try TranslationRules(parsing: text) } catch {
      var error = error
      error.column = column
      throw error
    }
  }

  /// The called number: global rules, then destination rules.
  public func translateCalled(_ number: String) -> String {
    destination.apply(to: global.apply(to: number))
  }

  /// The caller number: global rules, then origin rules.
  public func translateCaller(_ number: String) -> String {
    origin.apply(to: global.apply(to: number))
  }
}

/// A header the caller number can be read from (column `origination_preference`).
public enum IdentitySource: String, Sendable, CaseIterable {
  case from, pai, rpid

  /// `from,pai,rpid` in any order and subset; NULL or blank is `[.from]`.
  static func parseList(_ text: String?) throws(TranslationRuleError) -> [IdentitySource] {
    let column = "origination_preference"
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return [.from] }
    var sources: [IdentitySource] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let word = String(item).settingTrimmed().lowercased()
      guard let source = IdentitySource(rawValue: word) else {
        throw TranslationRuleError(
          column: column, problem: "unknown source '\(word)' in '\(text)' (from, pai, rpid, comma-separated)")
      }
      guard !sources.contains(source) else {
        throw TranslationRuleError(column: column, problem: "'\(word)' listed twice in '\(text)'")
      }
      sources.append(source)
    }
    return sources
  }
}

/// What `origination_validation` does with a caller number that is not
/// E.164-shaped (`isE164Shaped`).
public enum OriginationValidation: Sendable, Equatable {
  /// No check (NULL or blank, or `none`).
  case none
  /// The call is refused with 403 "Invalid Caller Number".
  case reject
  /// The caller number is dropped: the call goes on without one.
  case strip
  /// The caller number is replaced by this one (itself E.164-shaped).
  case replace(String)

  /// Optional `+`, a first digit 1-9, then 6 to 14 more digits (7 to 15
  /// digits in all, E.164's maximum): `+442079460000`, `15551234567`.
  public static func isE164Shaped(_ number: some StringProtocol) -> Bool {
    var digits = number.utf8[...]
    if digits.first == 0x2B { digits = digits.dropFirst() }
    guard (7...15).contains(digits.count), let first = digits.first, (0x31...0x39).contains(first) else {
      return false
    }
    return digits.allSatisfy { (0x30...0x39).contains($0) }
  }

  static func parse(_ text: String?) throws(TranslationRuleError) -> OriginationValidation {
    let column = "origination_validation"
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return .none }
    switch text.lowercased() {
    case "none": return .none
    case "reject": return .reject
    case "strip": return .strip
    default: break
    }
    if text.lowercased().hasPrefix("replace:") {
      let number = String(text.dropFirst(8)).settingTrimmed()
      guard isE164Shaped(number) else {
        throw TranslationRuleError(
          column: column,
          problem: "replacement '\(number)' is not an E.164 number (optional +, 7 to 15 digits, first not 0)")
      }
      return .replace(number)
    }
    throw TranslationRuleError(
      column: column, problem: "unknown value '\(text)' (none, reject, strip, replace:<number>)")
  }
}

/// Column `set_pai_header`: what happens to P-Asserted-Identity on calls
/// that arrive from the interconnect.
public enum PAIMode: String, Sendable, CaseIterable {
  /// Pass the header as received (NULL or blank).
  case keep
  /// Add one with the caller number when the INVITE has none.
  case add
  /// Always set it from the caller number.
  case replace
  /// Never pass one on.
  case remove

  static func parse(_ text: String?) throws(TranslationRuleError) -> PAIMode {
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return .keep }
    guard let mode = PAIMode(rawValue: text.lowercased()) else {
      throw TranslationRuleError(
        column: "set_pai_header", problem: "unknown value '\(text)' (keep, add, replace, remove)")
    }
    return mode
  }
}

extension String {
  /// Without surrounding spaces, tabs and line breaks.
  func settingTrimmed() -> String { String(trimmingWhitespace(lineBreaks: true)) }
}
