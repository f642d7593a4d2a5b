import Testing

@testable import Proxy

/// RFC 3261 §19.1.4 URI equality, as the digest `uri` check uses it.
@Suite struct SIPURIComparisonTests {
  @Test(arguments: [
    ("sip:example.com", "SIP:EXAMPLE.COM"),
    ("sip:%61lice@example.com", "sip:alice@example.com"),
    ("sip:example.com;transport=udp", "sip:example.com;Transport=UDP"),
    ("sip:example.com;foo=1", "sip:example.com"),
    ("sip:example.com;lr;transport=tcp", "sip:example.com;transport=tcp;lr"),
    ("sip:alice@[2001:db8::1]:5060", "sip:alice@[2001:DB8::1]:5060"),
    ("sip:example.com?Subject=x&Priority=urgent", "sip:example.com?priority=urgent&subject=x"),
    ("tel:+15551234", "TEL:+15551234"),
  ])
  func equivalent(_ a: String, _ b: String) {
    #expect(SIPURIComparison.equivalent(a, b))
    #expect(SIPURIComparison.equivalent(b, a))
  }

  @Test(arguments: [
    ("sip:example.com", "sip:example.com:5060"),
    ("sip:example.com", "sips:example.com"),
    ("sip:example.com", "sip:other.example.com"),
    ("sip:alice@example.com", "sip:ALICE@example.com"),
    ("sip:alice@example.com", "sip:example.com"),
    ("sip:example.com;transport=udp", "sip:example.com"),
    ("sip:example.com;maddr=192.0.2.1", "sip:example.com"),
    ("sip:example.com;foo=1", "sip:example.com;foo=2"),
    ("sip:example.com?subject=x", "sip:example.com"),
    ("tel:+15551234", "tel:+15551235"),
    ("sip:example.com", ""),
  ])
  func different(_ a: String, _ b: String) {
    #expect(!SIPURIComparison.equivalent(a, b))
    #expect(!SIPURIComparison.equivalent(b, a))
  }
}
