/// One interconnect's `interconnect_validation_settings` checks on an initial
/// INVITE (docs/policy-translation.md, "Validation checks"): From and Contact
/// URI patterns, trunk group, test calls. `tech_prefix` and `max_cps` are
/// handled by identification and the CPS limiter.
public struct ValidationSettings: Sendable {
  /// Searched in `ValidationInput.fromURI`; nil = no check.
  public let fromURIPattern: URIPattern?
  /// Searched in `ValidationInput.contactURI`; nil = no check.
  public let contactURIPattern: URIPattern?
  /// The trunk group the call must carry; nil = no check.
  public let trunkGroup: TrunkGroup?
  public let testSystemControl: TestSystemControl

  /// No checks.
  public static let none = ValidationSettings(
    fromURIPattern: nil, contactURIPattern: nil, trunkGroup: nil, testSystemControl: .allow)

  init(
    fromURIPattern: URIPattern?, contactURIPattern: URIPattern?, trunkGroup: TrunkGroup?,
    testSystemControl: TestSystemControl
  ) {
    self.fromURIPattern = fromURIPattern
    self.contactURIPattern = contactURIPattern
    self.trunkGroup = trunkGroup
    self.testSystemControl = testSystemControl
  }

  /// Reads the row's columns; NULL or blank means no check (`allow` for test
  /// calls). The error names the column and the value.
  public static func parse(
    fromURI: String?, contactURI: String?, trunkGroup: String?, testSystemControl: String?
  ) throws(ValidationSettingsError) -> ValidationSettings {
    ValidationSettings(
      fromURIPattern: try URIPattern.parse(fromURI, column: "from_uri"),
      contactURIPattern: try URIPattern.parse(contactURI, column: "contact_uri"),
      trunkGroup: try TrunkGroup.parse(trunkGroup),
      testSystemControl: try TestSystemControl.parse(testSystemControl))
  }

  /// The first check the request fails, in the order from_uri, contact_uri,
  /// trunk_group, test_system_control; nil when it passes them all.
  public func check(_ request: ValidationInput) -> ValidationFailure? {
    if let fromURIPattern, !fromURIPattern.matches(request.fromURI) { return .fromURINotAllowed }
    if let contactURIPattern {
      guard let contact = request.contactURI, contactURIPattern.matches(contact) else {
        return .contactURINotAllowed
      }
    }
    if let trunkGroup, !trunkGroup.isCarried(by: request) { return .trunkGroupMismatch }
    switch testSystemControl {
    case .allow: break
    case .block: if request.isTestCall { return .testCallsNotAllowed }
    case .only: if !request.isTestCall { return .testCallsOnly }
    }
    return nil
  }
}

/// A `from_uri` / `contact_uri` regular expression, searched (not anchored)
/// in the URI text and case-sensitive (`(?i)` makes it ignore case).
public struct URIPattern: @unchecked Sendable {
  // `Regex<AnyRegexOutput>` is not `Sendable` (Swift 6.3); this one is
  // immutable after init and matching does not mutate it.
  let regex: Regex<AnyRegexOutput>
  /// The pattern as written.
  public let source: String

  public func matches(_ text: String) -> Bool { text.contains(regex) }

  static func parse(_ text: String?, column: String) throws(ValidationSettingsError) -> URIPattern? {
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return nil }
    do {
      return URIPattern(regex: try Regex(text), source: text)
    } catch {
      throw ValidationSettingsError(column: column, value: text, problem: "regex does not compile: \(error)")
    }
  }
}

/// Column `trunk_group` (RFC 4904): `TGRP` or `TGRP;trunk-context=CONTEXT`.
public struct TrunkGroup: Sendable, Equatable {
  /// The `tgrp` value.
  public var name: String
  /// The `trunk-context` value; nil accepts any (or none).
  public var context: String?

  public init(name: String, context: String? = nil) {
    self.name = name
    self.context = context
  }

  /// The request carries `tgrp` equal to `name` (and, when `context` is set,
  /// `trunk-context` equal to it, in the same place) as user parameters of
  /// the Request-URI, user parameters of the Contact URI, or parameters of
  /// the Contact URI. Values compare ASCII case-insensitively.
  public func isCarried(by request: ValidationInput) -> Bool {
    let places: [[(name: String, value: String?)]] = [
      userParameters(request.requestURIUser),
      request.contactUser.map(userParameters) ?? [],
      request.contactParameters.map { (name: $0.name.lowercased(), value: $0.value) },
    ]
    return places.contains { parameters in
      guard let tgrp = parameters.first(where: { $0.name == "tgrp" })?.value,
        tgrp.lowercased() == name.lowercased()
      else { return false }
      guard let context else { return true }
      let carried = parameters.first { $0.name == "trunk-context" }?.value
      return carried?.lowercased() == context.lowercased()
    }
  }

  static func parse(_ text: String?) throws(ValidationSettingsError) -> TrunkGroup? {
    let column = "trunk_group"
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return nil }
    let parts = text.split(separator: ";", omittingEmptySubsequences: false)
    let name = String(parts[0]).settingTrimmed()
    guard isToken(name) else {
      throw ValidationSettingsError(
        column: column, value: text, problem: "expected TGRP or TGRP;trunk-context=CONTEXT")
    }
    guard parts.count > 1 else { return TrunkGroup(name: name) }
    let parameter = String(parts[1]).settingTrimmed()
    guard parts.count == 2, parameter.lowercased().hasPrefix("trunk-context="),
      case let context = String(parameter.dropFirst(14)), isToken(context)
    else {
      throw ValidationSettingsError(
        column: column, value: text, problem: "expected TGRP or TGRP;trunk-context=CONTEXT")
    }
    return TrunkGroup(name: name, context: context)
  }

  /// Non-empty, printable ASCII without space, `;`, `=`, `@`, `<`, `>`, `"`.
  private static func isToken(_ text: String) -> Bool {
    !text.isEmpty
      && text.utf8.allSatisfy {
        (0x21...0x7E).contains($0) && $0 != 0x3B && $0 != 0x3D && $0 != 0x40 && $0 != 0x3C && $0 != 0x3E
          && $0 != 0x22
      }
  }
}

/// Column `test_system_control`: how the interconnect treats test calls.
public enum TestSystemControl: String, Sendable, CaseIterable {
  /// Test calls and other calls alike (NULL or blank).
  case allow
  /// Test calls are refused: "Test Calls Not Allowed".
  case block
  /// Only test calls pass, e.g. while a trunk is brought into service: "Test Calls Only".
  case only

  static func parse(_ text: String?) throws(ValidationSettingsError) -> TestSystemControl {
    guard let text = text?.settingTrimmed(), !text.isEmpty else { return .allow }
    guard let control = TestSystemControl(rawValue: text.lowercased()) else {
      throw ValidationSettingsError(
        column: "test_system_control", value: text, problem: "unknown value (allow, block, only)")
    }
    return control
  }

  /// The value of an `X-Test-Call` header marks a test call unless it is `0`, `no` or `false`.
  public static func isTestCall(headerValue: String?) -> Bool {
    guard let value = headerValue?.settingTrimmed().lowercased() else { return false }
    return value != "0" && value != "no" && value != "false"
  }
}
