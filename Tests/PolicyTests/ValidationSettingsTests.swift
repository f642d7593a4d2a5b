import SIPCore
import Testing

@testable import Policy

@Suite struct ValidationSettingsTests {
  private func settings(
    from: String? = nil, contact: String? = nil, trunkGroup: String? = nil, test: String? = nil
  ) throws -> ValidationSettings {
    try ValidationSettings.parse(
      fromURI: from, contactURI: contact, trunkGroup: trunkGroup, testSystemControl: test)
  }

  private func input(
    from: String = "sip:+442079460000@10.1.2.3", contact: String? = "sip:+442079460000@10.1.2.3:5060",
    ruri: String = "15551234567", contactUser: String? = nil, contactParameters: [(String, String?)] = [],
    test: Bool = false
  ) -> ValidationInput {
    ValidationInput(
      fromURI: from, contactURI: contact, requestURIUser: ruri, contactUser: contactUser,
      contactParameters: contactParameters.map { (name: $0.0, value: $0.1) }, isTestCall: test)
  }

  @Test func blankSettingsCheckNothing() throws {
    for blank in [nil, "", " "] as [String?] {
      let none = try settings(from: blank, contact: blank, trunkGroup: blank, test: blank)
      #expect(none.check(input(from: "sip:x@y", contact: nil, test: true)) == nil)
      #expect(none.testSystemControl == .allow)
    }
    #expect(ValidationSettings.none.check(input(contact: nil, test: true)) == nil)
  }

  @Test(
    arguments: [
      ("^sip:\\+?44", "sip:+442079460000@10.1.2.3", true),
      ("^sip:\\+?44", "sip:442079460000@10.1.2.3", true),
      ("^sip:\\+?44", "sip:+15551234567@10.1.2.3", false),
      ("@10\\.1\\.", "sip:+15551234567@10.1.2.3:5060", true),
      ("@10\\.1\\.", "sip:+15551234567@10.2.2.3", false),
      ("carrier\\.example$", "sip:alice@CARRIER.example", false),
      ("(?i)carrier\\.example$", "sip:alice@CARRIER.example", true),
      ("@\\[2001:db8::", "sip:1@[2001:db8::1]:5060", true),
    ] as [(String, String, Bool)])
  func fromURIPattern(pattern: String, uri: String, passes: Bool) throws {
    let failure = try settings(from: pattern).check(input(from: uri))
    #expect(failure == (passes ? nil : .fromURINotAllowed))
    #expect(failure?.reason == (passes ? nil : "From URI Not Allowed"))
  }

  @Test(
    arguments: [
      ("@10\\.1\\.2\\.3:5060$", "sip:+1@10.1.2.3:5060" as String?, nil as ValidationFailure?),
      ("@10\\.1\\.2\\.3:5060$", "sip:+1@10.1.2.3", .contactURINotAllowed),
      ("@10\\.1\\.2\\.3:5060$", nil, .contactURINotAllowed),
      ("^sips:", "sip:+1@10.1.2.3", .contactURINotAllowed),
    ] as [(String, String?, ValidationFailure?)])
  func contactURIPattern(pattern: String, contact: String?, expected: ValidationFailure?) throws {
    #expect(try settings(contact: pattern).check(input(contact: contact)) == expected)
  }

  @Test(
    arguments: [
      // (setting, R-URI user, Contact user, Contact parameters, passes)
      ("TG1", "+15551234;tgrp=TG1", nil, [], true),
      ("TG1", "+15551234;tgrp=tg1", nil, [], true),
      ("TG1", "+15551234;tgrp=TG2", nil, [], false),
      ("TG1", "+15551234", nil, [], false),
      ("TG1", "+15551234;tgrp=TG1;trunk-context=example.com", nil, [], true),
      ("TG1", "+15551234", "+1444;tgrp=TG1", [], true),
      ("TG1", "+15551234", nil, [("tgrp", "TG1")], true),
      ("TG1", "+15551234", nil, [("TGRP", "TG1")], true),
      ("TG1", "+15551234", nil, [("tgrp", nil)], false),
      ("TG1;trunk-context=example.com", "+15551234;tgrp=TG1;trunk-context=example.com", nil, [], true),
      ("TG1;trunk-context=example.com", "+15551234;trunk-context=Example.COM;tgrp=TG1", nil, [], true),
      ("TG1;trunk-context=example.com", "+15551234;tgrp=TG1;trunk-context=other.net", nil, [], false),
      ("TG1;trunk-context=example.com", "+15551234;tgrp=TG1", nil, [], false),
      ("TG1;trunk-context=+1555", "+1;tgrp=TG1;trunk-context=+1555", nil, [], true),
      (
        "TG1;trunk-context=example.com", "+15551234", nil,
        [("tgrp", "TG1"), ("trunk-context", "example.com")],
        true
      ),
      // The parameters of one place go together: tgrp in the R-URI, context in the Contact does not pass.
      ("TG1;trunk-context=example.com", "+15551234;tgrp=TG1", nil, [("trunk-context", "example.com")], false),
    ] as [(String, String, String?, [(String, String?)], Bool)])
  func trunkGroup(
    setting: String, ruri: String, contactUser: String?, contactParameters: [(String, String?)], passes: Bool
  ) throws {
    let failure = try settings(trunkGroup: setting).check(
      input(ruri: ruri, contactUser: contactUser, contactParameters: contactParameters))
    #expect(failure == (passes ? nil : .trunkGroupMismatch))
  }

  @Test(
    arguments: [
      (nil, false, nil), (nil, true, nil), ("allow", true, nil), ("ALLOW", false, nil),
      ("block", true, ValidationFailure(reason: "Test Calls Not Allowed")), ("block", false, nil),
      ("only", false, ValidationFailure(reason: "Test Calls Only")), ("only", true, nil),
    ] as [(String?, Bool, ValidationFailure?)])
  func testSystemControl(setting: String?, isTest: Bool, expected: ValidationFailure?) throws {
    #expect(try settings(test: setting).check(input(test: isTest)) == expected)
  }

  @Test(
    arguments: [
      (nil, false), ("", true), ("1", true), ("yes", true), ("0", false), ("no", false), (" FALSE ", false),
      ("true", true),
    ] as [(String?, Bool)])
  func testCallHeader(value: String?, isTest: Bool) {
    #expect(TestSystemControl.isTestCall(headerValue: value) == isTest)
  }

  @Test func checksRunInOrder() throws {
    let all = try settings(from: "^sip:\\+44", contact: "@10\\.", trunkGroup: "TG1", test: "only")
    #expect(all.check(input(from: "sip:+1@x", contact: nil)) == .fromURINotAllowed)
    #expect(all.check(input(contact: nil)) == .contactURINotAllowed)
    #expect(all.check(input()) == .trunkGroupMismatch)
    #expect(all.check(input(ruri: "1;tgrp=TG1")) == .testCallsOnly)
    #expect(all.check(input(ruri: "1;tgrp=TG1", test: true)) == nil)
  }

  @Test(
    arguments: [
      (nil, "(", nil, nil, "contact_uri: '(': regex does not compile: "),
      ("[", nil, nil, nil, "from_uri: '[': regex does not compile: "),
      (nil, nil, "TG 1", nil, "trunk_group: 'TG 1': expected TGRP or TGRP;trunk-context=CONTEXT"),
      (nil, nil, "TG1;context=x", nil, "trunk_group: 'TG1;context=x': expected TGRP"),
      (nil, nil, "TG1;trunk-context=", nil, "trunk_group: 'TG1;trunk-context=': expected TGRP"),
      (nil, nil, "TG1;trunk-context=a;x", nil, "trunk_group: 'TG1;trunk-context=a;x': expected TGRP"),
      (nil, nil, ";trunk-context=a", nil, "trunk_group: ';trunk-context=a': expected TGRP"),
      (nil, nil, nil, "sometimes", "test_system_control: 'sometimes': unknown value (allow, block, only)"),
    ] as [(String?, String?, String?, String?, String)])
  func refusesBadValues(from: String?, contact: String?, trunkGroup: String?, test: String?, message: String)
  {
    #expect {
      _ = try settings(from: from, contact: contact, trunkGroup: trunkGroup, test: test)
    } throws: { error in
      (error as? ValidationSettingsError)?.description.hasPrefix(message) ?? false
    }
  }

  @Test func parsesTrunkGroupParts() throws {
    #expect(try settings(trunkGroup: " TG1 ").trunkGroup == TrunkGroup(name: "TG1"))
    #expect(
      try settings(trunkGroup: "TG1;Trunk-Context=example.com").trunkGroup
        == TrunkGroup(name: "TG1", context: "example.com"))
  }

  @Test(
    arguments: [
      ("+15551234;tgrp=TG1;trunk-context=example.com", "+15551234"), ("+15551234", "+15551234"), ("", ""),
      (";tgrp=x", ""), ("alice;npdi", "alice"),
    ])
  func stripsUserParameters(user: String, number: String) {
    #expect(numberWithoutUserParameters(user) == number)
  }

  @Test func readsUserParameters() {
    let parameters = userParameters("+1;TGRP=TG1;npdi;trunk-context=Example.com")
    #expect(parameters.map(\.name) == ["tgrp", "npdi", "trunk-context"])
    #expect(parameters.map(\.value) == ["TG1", nil, "Example.com"])
    #expect(userParameters("+1").isEmpty)
  }

  @Test(
    arguments: [
      (
        SIPURI(scheme: "SIP", user: "+44", host: "10.1.2.3", port: 5060, parameters: []),
        "sip:+44@10.1.2.3:5060"
      ),
      (
        SIPURI(scheme: "sip", user: nil, host: "carrier.example", port: nil, parameters: []),
        "sip:carrier.example"
      ),
      (
        SIPURI(scheme: "sips", user: "a", host: "2001:db8::1", port: nil, parameters: []),
        "sips:a@[2001:db8::1]"
      ),
      (
        SIPURI(
          scheme: "sip", user: "+1;npdi", host: "h", port: nil,
          parameters: [URIParameter(name: "user", value: "phone")]),
        "sip:+1;npdi@h"
      ),
    ] as [(SIPURI, String)])
  func uriText(uri: SIPURI, text: String) {
    #expect(ValidationInput.uriText(uri) == text)
  }
}
