import SIPCore
import Testing

@Suite struct NameAddrValueTests {
  @Test func addrSpecParametersAreHeaderParameters() throws {
    let values = try #require(NameAddrValue.list("sip:+19725552222@gw1.example.net;unknownparam"))
    #expect(
      values == [NameAddrValue(uri: "sip:+19725552222@gw1.example.net", parameters: [("unknownparam", nil)])])
  }

  @Test func nameAddrKeepsItsURIParametersAndEscapes() throws {
    let values = try #require(
      NameAddrValue.list(
        #""Bob, \"B\"" <sip:bob@h;transport=tcp?Route=%3Csip:x%3E>;expires=60;Q=0.5, <sip:b2@h2>"#))
    #expect(values.count == 2)
    #expect(values[0].uri == "sip:bob@h;transport=tcp?Route=%3Csip:x%3E")
    #expect(values[0].parameter("expires") == .some("60"))
    #expect(values[0].parameter("q") == .some("0.5"))
    #expect(values[1].uri == "sip:b2@h2")
  }

  @Test func wildcardAndBadValues() {
    #expect(NameAddrValue.list(" * ")?.first?.isWildcard == true)
    #expect(NameAddrValue.list("<sip:a@b") == nil)
    #expect(NameAddrValue.list("") == nil)
    #expect(NameAddrValue.list("<sip:a@b>,") == nil)
  }
}
