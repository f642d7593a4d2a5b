import Testing

@testable import Policy

@Suite struct InterconnectAddressParsingTests {
  private func address(_ text: String) -> IPAddress { IPAddress(text)! }

  @Test func singleIPv4IsAThirtyTwo() throws {
    let parsed = try InterconnectAddress.parse(
      ipAddress: "192.0.2.1", isRange: false, rangeEnd: nil, port: nil)
    #expect(parsed == InterconnectAddress(match: .network(address("192.0.2.1"), prefixLength: 32)))
  }

  @Test func cidrIsMaskedToItsNetwork() throws {
    let parsed = try InterconnectAddress.parse(
      ipAddress: " 192.0.2.77/24 ", isRange: false, rangeEnd: nil, port: 5060)
    #expect(
      parsed == InterconnectAddress(match: .network(address("192.0.2.0"), prefixLength: 24), port: 5060))
  }

  @Test func ipv6AndIPv6Cidr() throws {
    let single = try InterconnectAddress.parse(
      ipAddress: "2001:db8::1", isRange: false, rangeEnd: nil, port: nil)
    #expect(single.match == .network(address("2001:db8::1"), prefixLength: 128))
    let block = try InterconnectAddress.parse(
      ipAddress: "[2001:db8:1:2::5]/48", isRange: false, rangeEnd: nil, port: nil)
    #expect(block.match == .network(address("2001:db8:1::"), prefixLength: 48))
  }

  @Test func ipv4MappedBlockBecomesIPv4() throws {
    let parsed = try InterconnectAddress.parse(
      ipAddress: "::ffff:192.0.2.0/120", isRange: false, rangeEnd: nil, port: nil)
    #expect(parsed.match == .network(address("192.0.2.0"), prefixLength: 24))
  }

  @Test func range() throws {
    let parsed = try InterconnectAddress.parse(
      ipAddress: "10.0.0.10", isRange: true, rangeEnd: "10.0.0.20", port: nil)
    #expect(parsed.match == .range(address("10.0.0.10"), address("10.0.0.20")))
    #expect(parsed.match.span == (0, 10))
  }

  @Test(
    arguments: [
      ("10.0.0.300", false, nil, nil, InterconnectAddressError.notAnAddress("10.0.0.300")),
      ("carrier.example", false, nil, nil, .notAnAddress("carrier.example")),
      ("10.0.0.0/33", false, nil, nil, .prefixLengthOutOfRange("10.0.0.0/33")),
      ("10.0.0.0/", false, nil, nil, .prefixLengthOutOfRange("10.0.0.0/")),
      ("10.0.0.0/-1", false, nil, nil, .prefixLengthOutOfRange("10.0.0.0/-1")),
      ("2001:db8::/129", false, nil, nil, .prefixLengthOutOfRange("2001:db8::/129")),
      ("10.0.0.9", true, "10.0.0.1", nil, .rangeEndBeforeStart(start: "10.0.0.9", end: "10.0.0.1")),
      ("10.0.0.1", true, "2001:db8::1", nil, .rangeAcrossFamilies(start: "10.0.0.1", end: "2001:db8::1")),
      ("10.0.0.1", true, nil, nil, .missingRangeEnd(start: "10.0.0.1")),
      ("10.0.0.1", true, "10.0.0.x", nil, .notAnAddress("10.0.0.x")),
      ("10.0.0.0/24", true, "10.0.1.0", nil, .notAnAddress("10.0.0.0/24")),
      ("10.0.0.1", false, nil, 70000, .portOutOfRange(70000)),
    ] as [(String, Bool, String?, Int?, InterconnectAddressError)])
  func refuses(
    ipAddress: String, isRange: Bool, rangeEnd: String?, port: Int?, error: InterconnectAddressError
  ) {
    #expect(throws: error) {
      try InterconnectAddress.parse(ipAddress: ipAddress, isRange: isRange, rangeEnd: rangeEnd, port: port)
    }
  }

  @Test func errorsNameTheBadValue() {
    #expect(InterconnectAddressError.notAnAddress("10.0.0.300").description.contains("10.0.0.300"))
    #expect(
      InterconnectAddressError.rangeEndBeforeStart(start: "10.0.0.9", end: "10.0.0.1").description
        .contains("10.0.0.1"))
  }

  @Test func spans() {
    #expect(InterconnectAddress.Match.network(address("10.0.0.0"), prefixLength: 24).span == (0, 255))
    #expect(InterconnectAddress.Match.network(address("10.0.0.0"), prefixLength: 0).span == (0, 0xFFFF_FFFF))
    #expect(InterconnectAddress.Match.network(address("::"), prefixLength: 0).span == (.max, .max))
    #expect(InterconnectAddress.Match.network(address("2001:db8::"), prefixLength: 64).span == (0, .max))
    #expect(InterconnectAddress.Match.network(address("2001:db8::"), prefixLength: 48).span == (0xFFFF, .max))
    #expect(InterconnectAddress.Match.range(address("::1:0:0:0:5"), address("::2:0:0:0:4")).span == (0, .max))
  }

  @Test func masking() {
    #expect(address("10.1.2.3").masked(toPrefixLength: 8) == address("10.0.0.0"))
    #expect(address("10.1.2.3").masked(toPrefixLength: 0) == address("0.0.0.0"))
    #expect(address("10.1.2.3").masked(toPrefixLength: 32) == address("10.1.2.3"))
    #expect(
      address("2001:db8:aaaa:bbbb:cccc::1").masked(toPrefixLength: 72) == address("2001:db8:aaaa:bbbb:cc00::")
    )
    #expect(address("2001:db8:aaaa:bbbb::1").masked(toPrefixLength: 24) == address("2001:d00::"))
  }
}
