import Testing

@testable import Policy

@Suite struct IPAddressTests {
  @Test(arguments: [
    ("192.0.2.1", "192.0.2.1", false),
    ("2001:db8::1", "2001:db8:0:0:0:0:0:1", true),
    ("[::1]", "0:0:0:0:0:0:0:1", true),
    ("::ffff:10.1.2.3", "10.1.2.3", false),
  ])
  func parses(text: String, printed: String, isIPv6: Bool) throws {
    let address = try #require(IPAddress(text))
    #expect(address.description == printed)
    #expect(address.isIPv6 == isIPv6)
  }

  @Test(arguments: [
    "", "1.2.3", "256.1.1.1", "1.2.3.4.5", "1::2::3", "12345::", "a.b.c.d", "1:2:3:4:5:6:7:8:9",
  ])
  func refuses(text: String) {
    #expect(IPAddress(text) == nil)
  }

  @Test func cidrMembership() throws {
    let network = try #require(IPAddress("10.20.0.0"))
    #expect(try #require(IPAddress("10.20.255.1")).isIn(network: network, prefixLength: 16))
    #expect(!(try #require(IPAddress("10.21.0.1")).isIn(network: network, prefixLength: 16)))
    #expect(try #require(IPAddress("10.21.0.1")).isIn(network: network, prefixLength: 0))
    let v6 = try #require(IPAddress("2001:db8::"))
    #expect(try #require(IPAddress("2001:db8::ffff")).isIn(network: v6, prefixLength: 64))
    #expect(!(try #require(IPAddress("2001:db9::1")).isIn(network: v6, prefixLength: 32)))
    #expect(!(try #require(IPAddress("10.20.0.1")).isIn(network: v6, prefixLength: 0)))
  }
}
