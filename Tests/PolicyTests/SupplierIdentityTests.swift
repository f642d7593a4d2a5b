import Testing

@testable import Policy

@Suite struct SupplierIdentityTests {
  private static let number = "+442079460000"

  private static func caller(privacy: Bool) -> CallerIdentity {
    CallerIdentity(original: "02079460000", number: "+442079460000", privacyRequested: privacy)
  }

  /// (privacy_method, set_pai_header, privacy requested, had PAI)
  /// -> From user, anonymous From, PAI, RPID, Privacy, privacy=full
  typealias Row = (
    PrivacyMethod, PAIMode, Bool, Bool, String?, Bool, HeaderEdit, HeaderEdit, HeaderEdit, Bool
  )

  static let rows: [Row] = [
    // Untrusted peer: no identity headers, no Privacy; From anonymous when privacy requested.
    (.none, .keep, false, true, number, false, .remove, .remove, .remove, false),
    (.none, .add, false, false, number, false, .remove, .remove, .remove, false),
    (.none, .replace, false, true, number, false, .remove, .remove, .remove, false),
    (.none, .remove, false, true, number, false, .remove, .remove, .remove, false),
    (.none, .keep, true, true, nil, true, .remove, .remove, .remove, false),
    (.none, .replace, true, false, nil, true, .remove, .remove, .remove, false),
    // Trusted, P-Asserted-Identity.
    (.pai, .keep, false, true, number, false, .keep, .remove, .keep, false),
    (.pai, .keep, false, false, number, false, .keep, .remove, .keep, false),
    (.pai, .add, false, true, number, false, .keep, .remove, .keep, false),
    (.pai, .add, false, false, number, false, .set(number), .remove, .keep, false),
    (.pai, .replace, false, true, number, false, .set(number), .remove, .keep, false),
    (.pai, .replace, false, false, number, false, .set(number), .remove, .keep, false),
    (.pai, .remove, false, true, number, false, .remove, .remove, .keep, false),
    (.pai, .keep, true, true, nil, true, .keep, .remove, .keep, false),
    (.pai, .add, true, false, nil, true, .set(number), .remove, .keep, false),
    (.pai, .replace, true, true, nil, true, .set(number), .remove, .keep, false),
    (.pai, .remove, true, true, nil, true, .remove, .remove, .keep, false),
    // Trusted, Remote-Party-ID instead of P-Asserted-Identity.
    (.rpid, .keep, false, true, number, false, .remove, .set(number), .keep, false),
    (.rpid, .keep, false, false, number, false, .remove, .remove, .keep, false),
    (.rpid, .add, false, false, number, false, .remove, .set(number), .keep, false),
    (.rpid, .replace, false, true, number, false, .remove, .set(number), .keep, false),
    (.rpid, .remove, false, true, number, false, .remove, .remove, .keep, false),
    (.rpid, .keep, true, true, nil, true, .remove, .set(number), .keep, true),
    (.rpid, .add, true, true, nil, true, .remove, .set(number), .keep, true),
    (.rpid, .replace, true, false, nil, true, .remove, .set(number), .keep, true),
    (.rpid, .remove, true, true, nil, true, .remove, .remove, .keep, false),
  ]

  @Test(arguments: rows)
  func table(row: Row) {
    let (method, setPAI, privacy, hadPAI, fromUser, anonymous, pai, rpid, privacyHeader, full) = row
    let headers = identityTowardsSupplier(
      caller: Self.caller(privacy: privacy), callerNumberForSupplier: Self.number, setPAI: setPAI,
      privacyMethod: method, hadPAI: hadPAI)
    #expect(
      headers
        == IdentityHeaders(
          fromUser: fromUser, anonymousFrom: anonymous, pai: pai, rpid: rpid, privacy: privacyHeader,
          rpidPrivacyFull: full))
  }

  @Test(
    arguments: [(PrivacyMethod.none, HeaderEdit.remove), (.pai, .keep), (.rpid, .keep)],
    [PAIMode.keep, .add, .replace])
  func noNumberAnonymisesAndAssertsNothing(method: (PrivacyMethod, HeaderEdit), setPAI: PAIMode) {
    for number in [nil, ""] as [String?] {
      let headers = identityTowardsSupplier(
        caller: CallerIdentity(original: "x", number: nil, privacyRequested: false),
        callerNumberForSupplier: number, setPAI: setPAI, privacyMethod: method.0, hadPAI: true)
      #expect(
        headers
          == IdentityHeaders(
            fromUser: nil, anonymousFrom: true, pai: .remove, rpid: .remove, privacy: method.1))
    }
  }

  @Test func fromCarriesTheEgressTranslatedNumber() {
    let headers = identityTowardsSupplier(
      caller: Self.caller(privacy: false), callerNumberForSupplier: "00442079460000", setPAI: .replace,
      privacyMethod: .pai, hadPAI: false)
    #expect(headers.fromUser == "00442079460000")
    #expect(headers.pai == .set("00442079460000"))
  }
}
