import Testing

@testable import Policy

@Suite struct CallerIdentityTests {
  // MARK: Parsing the settings row

  @Test func nullAndBlankColumnsAreDefaults() throws {
    for blank in [nil, "", "  "] as [String?] {
      let settings = try TranslationSettings.parse(
        originationPreference: blank, originationValidation: blank, setPAIHeader: blank, global: blank,
        origin: blank, destination: blank)
      #expect(settings.originationPreference == [.from])
      #expect(settings.originationValidation == .none)
      #expect(settings.setPAI == .keep)
      #expect(settings.global.isEmpty && settings.origin.isEmpty && settings.destination.isEmpty)
    }
  }

  @Test(
    arguments: [
      ("pai,from", [IdentitySource.pai, .from]),
      (" RPID , pai ", [.rpid, .pai]),
      ("from", [.from]),
      ("pai,rpid,from", [.pai, .rpid, .from]),
    ] as [(String, [IdentitySource])])
  func originationPreference(text: String, expected: [IdentitySource]) throws {
    let settings = try TranslationSettings.parse(
      originationPreference: text, originationValidation: nil, setPAIHeader: nil, global: nil, origin: nil,
      destination: nil)
    #expect(settings.originationPreference == expected)
  }

  @Test(
    arguments: [
      ("none", OriginationValidation.none), ("reject", .reject), ("STRIP", .strip),
      ("replace:+442079460000", .replace("+442079460000")), ("replace: 15551234567", .replace("15551234567")),
    ] as [(String, OriginationValidation)])
  func originationValidation(text: String, expected: OriginationValidation) throws {
    let settings = try TranslationSettings.parse(
      originationPreference: nil, originationValidation: text, setPAIHeader: nil, global: nil, origin: nil,
      destination: nil)
    #expect(settings.originationValidation == expected)
  }

  @Test(arguments: [("keep", PAIMode.keep), ("add", .add), ("Replace", .replace), ("remove", .remove)])
  func setPAIHeader(text: String, expected: PAIMode) throws {
    let settings = try TranslationSettings.parse(
      originationPreference: nil, originationValidation: nil, setPAIHeader: text, global: nil, origin: nil,
      destination: nil)
    #expect(settings.setPAI == expected)
  }

  @Test(
    arguments: [
      (
        "pai,foo", nil, nil, nil, "origination_preference: unknown source 'foo' in 'pai,foo' (from, pai, rpid"
      ),
      ("pai,,from", nil, nil, nil, "origination_preference: unknown source '' in 'pai,,from'"),
      ("pai,pai", nil, nil, nil, "origination_preference: 'pai' listed twice in 'pai,pai'"),
      (
        nil, "foo", nil, nil,
        "origination_validation: unknown value 'foo' (none, reject, strip, replace:<number>)"
      ),
      (nil, "replace:", nil, nil, "origination_validation: replacement '' is not an E.164 number"),
      (
        nil, "replace:0207946000", nil, nil,
        "origination_validation: replacement '0207946000' is not an E.164"
      ),
      (nil, nil, "always", nil, "set_pai_header: unknown value 'always' (keep, add, replace, remove)"),
      (nil, nil, nil, "prefix:0\n/(/x/", "global_translation: rule 2: regex does not compile"),
    ] as [(String?, String?, String?, String?, String)])
  func refusesBadColumns(
    preference: String?, validation: String?, pai: String?, global: String?, message: String
  ) {
    #expect {
      _ = try TranslationSettings.parse(
        originationPreference: preference, originationValidation: validation, setPAIHeader: pai,
        global: global, origin: nil, destination: nil)
    } throws: { error in
      (error as? TranslationRuleError)?.description.hasPrefix(message) ?? false
    }
  }

  @Test func ruleErrorsNameTheirColumn() {
    for (column, text) in [("origin_translation", "x"), ("destination_translation", "x")] {
      #expect {
        _ = try TranslationSettings.parse(
          originationPreference: nil, originationValidation: nil, setPAIHeader: nil, global: nil,
          origin: column == "origin_translation" ? text : nil,
          destination: column == "destination_translation" ? text : nil)
      } throws: { error in
        (error as? TranslationRuleError)?.column == column
      }
    }
  }

  @Test(arguments: [nil, "", "pai", "PAI", " rpid "] as [String?])
  func privacyMethodParses(text: String?) throws {
    let expected: PrivacyMethod = text?.lowercased().contains("rpid") == true ? .rpid : .pai
    #expect(try PrivacyMethod.parse(text) == expected)
    #expect(try PrivacyMethod.parse("none") == PrivacyMethod.none)
    #expect(
      throws: TranslationRuleError(column: "privacy_method", problem: "unknown value 'x' (none, pai, rpid)")
    ) {
      _ = try PrivacyMethod.parse("x")
    }
  }

  // MARK: E.164 shape

  @Test(
    arguments: [
      ("+4420794", true),  // 7 digits: the shortest
      ("4420794", true),
      ("442079", false),  // 6 digits
      ("+123456789012345", true),  // 15 digits: the longest
      ("+1234567890123456", false),  // 16 digits
      ("123456789012345", true),
      ("+0442079460000", false),  // first digit 0
      ("02079460000", false),
      ("++442079460000", false),
      ("+44 2079460000", false),
      ("+4420794600a0", false),
      ("", false),
      ("+", false),
      ("anonymous", false),
    ] as [(String, Bool)])
  func e164Shape(number: String, shaped: Bool) {
    #expect(OriginationValidation.isE164Shaped(number) == shaped)
  }

  // MARK: Ingress caller

  private func settings(
    preference: [IdentitySource] = [.from], validation: OriginationValidation = .none,
    global: String? = nil, origin: String? = nil, destination: String? = nil
  ) throws -> TranslationSettings {
    TranslationSettings(
      originationPreference: preference, originationValidation: validation,
      global: try TranslationRules(parsing: global), origin: try TranslationRules(parsing: origin),
      destination: try TranslationRules(parsing: destination))
  }

  @Test(
    arguments: [
      // (preference, from, pai, rpid, picked)
      ([IdentitySource.from], "111", "222", "333", "111"),
      ([.pai], "111", "222", "333", "222"),
      ([.pai], "111", nil, "333", "111"),  // absent: From
      ([.pai], "111", "", "333", "111"),  // empty counts as absent
      ([.rpid, .pai], "111", "222", "333", "333"),
      ([.rpid, .pai], "111", "222", nil, "222"),
      ([.rpid, .pai], "111", nil, nil, "111"),
      ([.pai, .rpid], nil, nil, nil, nil),
    ] as [([IdentitySource], String?, String?, String?, String?)])
  func picksBySourcePreference(
    preference: [IdentitySource], from: String?, pai: String?, rpid: String?, picked: String?
  ) throws {
    let decision = try settings(preference: preference).ingressCaller(
      CallerHeaders(fromUser: from, paiUser: pai, rpidUser: rpid))
    #expect(decision == .accept(CallerIdentity(original: picked, number: picked, privacyRequested: false)))
  }

  @Test(
    arguments: [
      // (mode, caller user, decision)
      (
        OriginationValidation.none, "0207946",
        CallerDecision.accept(.init(original: "0207946", number: "0207946", privacyRequested: false))
      ),
      (.none, nil, .accept(.init(original: nil, number: nil, privacyRequested: false))),
      (
        .reject, "+442079460000",
        .accept(.init(original: "+442079460000", number: "+442079460000", privacyRequested: false))
      ),
      (.reject, "02079460000", .reject(reason: "Invalid Caller Number")),
      (.reject, "anonymous", .reject(reason: "Invalid Caller Number")),
      (.reject, nil, .reject(reason: "Invalid Caller Number")),
      (.strip, "02079460000", .accept(.init(original: "02079460000", number: nil, privacyRequested: false))),
      (
        .strip, "15551234567",
        .accept(.init(original: "15551234567", number: "15551234567", privacyRequested: false))
      ),
      (
        .replace("+442079460999"), "123",
        .accept(.init(original: "123", number: "+442079460999", privacyRequested: false))
      ),
      (
        .replace("+442079460999"), nil,
        .accept(.init(original: nil, number: "+442079460999", privacyRequested: false))
      ),
      (
        .replace("+442079460999"), "+15551234567",
        .accept(.init(original: "+15551234567", number: "+15551234567", privacyRequested: false))
      ),
      // User parameters, escapes and visual separators do not make a number invalid.
      (
        .reject, "+1-555-123-4567;npdi",
        .accept(.init(original: "+1-555-123-4567;npdi", number: "+15551234567", privacyRequested: false))
      ),
      (
        .reject, "%2B442079460000",
        .accept(.init(original: "%2B442079460000", number: "+442079460000", privacyRequested: false))
      ),
    ] as [(OriginationValidation, String?, CallerDecision)])
  func validationModes(mode: OriginationValidation, user: String?, expected: CallerDecision) throws {
    #expect(try settings(validation: mode).ingressCaller(CallerHeaders(fromUser: user)) == expected)
  }

  @Test func validationRunsBeforeTheRules() throws {
    // 0207... is not E.164 before translation, even though the rules would make it so.
    let rules = try settings(validation: .reject, global: "prefix:0 strip:1 add:+44")
    #expect(
      rules.ingressCaller(CallerHeaders(fromUser: "02079460000")) == .reject(reason: "Invalid Caller Number"))
    // The replacement goes through global then origin rules.
    let replacing = try settings(
      validation: .replace("+442079460999"), global: "prefix:+ strip:1 continue", origin: "prefix:44 add:00")
    #expect(
      replacing.ingressCaller(CallerHeaders(fromUser: "x"))
        == .accept(CallerIdentity(original: "x", number: "00442079460999", privacyRequested: false)))
  }

  @Test func globalThenOriginForCallerGlobalThenDestinationForCalled() throws {
    let rules = try settings(
      global: "prefix:00 strip:2 add:+ continue", origin: "/^\\+44/0/", destination: "/^\\+//")
    #expect(rules.translateCaller("00442079460000") == "02079460000")
    #expect(rules.translateCalled("00442079460000") == "442079460000")
    #expect(rules.translateCalled("12345") == "12345")
    #expect(
      rules.ingressCaller(CallerHeaders(fromUser: "00442079460000"))
        == .accept(CallerIdentity(original: "00442079460000", number: "02079460000", privacyRequested: false))
    )
  }

  @Test(
    arguments: [
      ([], false), (["none"], false), (["id"], true), (["user"], true), (["header"], true),
      (["session"], false), (["id", "critical"], true), (["critical"], false),
    ] as [([String], Bool)])
  func privacyRequested(tokens: [String], requested: Bool) throws {
    let decision = try settings().ingressCaller(CallerHeaders(fromUser: "+442079460000", privacy: tokens))
    #expect(
      decision
        == .accept(
          CallerIdentity(original: "+442079460000", number: "+442079460000", privacyRequested: requested)))
  }

  @Test(
    arguments: [
      ("+442079460000", "+442079460000"), ("+44 (20) 7946-0000", "+44 (20) 7946-0000"),
      ("+44(20)7946-0000", "+442079460000"), ("1.555.123.4567", "15551234567"),
      ("alice.smith", "alice.smith"),
      ("+15551234;tgrp=TG1;trunk-context=x.example", "+15551234"), ("%2b1555", "+1555"), ("%zz1", "%zz1"),
      ("*67#", "*67#"),
    ] as [(String, String)])
  func callerNumberNormalisation(user: String, number: String) {
    #expect(TranslationSettings.callerNumber(fromUser: user) == number)
  }
}
