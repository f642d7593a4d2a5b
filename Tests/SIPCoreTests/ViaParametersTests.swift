import Testing

@testable import SIPCore

/// RFC 3581 on the top Via of a locally built response: `rport` gets the
/// source port, `received` the source address when the sent-by differs or
/// `rport` is there (§4: even when the host is the same).
@Suite struct ViaParametersTests {
  static func rewrite(_ via: String, from host: String, _ port: Int) -> String {
    var out: [UInt8] = []
    ViaParameters.appendWithSource(
      Array(via.utf8)[...], source: Endpoint(transport: .udp, host: host, port: port), to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  @Test(arguments: [
    (
      "SIP/2.0/UDP host5.example.com;branch=z9hG4bK1;rport", "10.0.0.1", 5062,
      "SIP/2.0/UDP host5.example.com;branch=z9hG4bK1;rport=5062;received=10.0.0.1"
    ),
    (
      "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK2", "127.0.0.1", 5090,
      "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK2"
    ),
    (
      "SIP/2.0/UDP 10.0.0.9:5060;received=1.2.3.4;branch=b", "10.0.0.7", 5060,
      "SIP/2.0/UDP 10.0.0.9:5060;received=10.0.0.7;branch=b"
    ),
    (
      "SIP/2.0/UDP [::1]:5060 ;RPort ;branch=b", "::1", 40000,
      "SIP/2.0/UDP [::1]:5060 ;rport=40000;branch=b;received=::1"
    ),
    (
      "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK3;rport", "127.0.0.1", 5090,
      "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK3;rport=5090;received=127.0.0.1"
    ),
    (
      "SIP/2.0/TCP h.example;branch=b;rport=1", "192.0.2.1", 2,
      "SIP/2.0/TCP h.example;branch=b;rport=2;received=192.0.2.1"
    ),
  ])
  func rewrites(via: String, host: String, port: Int, expected: String) {
    #expect(Self.rewrite(via, from: host, port) == expected)
  }
}
