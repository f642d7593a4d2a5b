import Policy
import SIPCore
import Testing

/// The one whitespace trimmer (SIPCore's `trimmingWhitespace`) as header
/// values and settings text use it.
@Suite struct TextTrimmingTests {
  @Test func spacesAndTabsGoLineBreaksOnlyWhenAsked() {
    #expect(" \t100rel\t ".trimmingWhitespace() == "100rel")
    #expect("\r\n add \n".trimmingWhitespace() == "\r\n add \n")
    #expect("\r\n add \n".trimmingWhitespace(lineBreaks: true) == "add")
    #expect(" a b ".trimmingWhitespace() == "a b")
    #expect(" \t ".trimmingWhitespace().isEmpty)
  }

  @Test func settingsTextIsTrimmedOfLineBreaks() throws {
    let settings = try TranslationSettings.parse(
      originationPreference: " pai ,\tfrom\n", originationValidation: nil, setPAIHeader: " replace\r\n",
      global: nil, origin: nil, destination: nil)
    #expect(settings.setPAI == .replace)
    #expect(settings.originationPreference == [.pai, .from])
  }

  @Test func optionTagsAndAddressesAreTrimmedOfSpacesAndTabs() throws {
    #expect(OptionTags.contains("timer", in: ["100rel ,\ttimer "]))
    let address = try InterconnectAddress.parse(
      ipAddress: " 192.0.2.1\t", isRange: false, rangeEnd: nil, port: nil)
    #expect(
      address
        == (try InterconnectAddress.parse(ipAddress: "192.0.2.1", isRange: false, rangeEnd: nil, port: nil)))
  }
}
