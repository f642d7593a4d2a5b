import Testing

@testable import SIPCore

/// `NewCallSniff`: which raw messages wait with the new calls
/// (docs/overload.md, "What waits").
@Suite struct NewCallSniffTests {
  static func sniff(_ text: String) -> Bool {
    Array(text.utf8).withUnsafeBytes { NewCallSniff.mayStartCall($0) }
  }

  static func invite(to: String, from: String = "From: <sip:a@x>;tag=1") -> String {
    "INVITE sip:b@y SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\(from)\r\n\(to)\r\n"
      + "Call-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
  }

  @Test(arguments: [
    "To: <sip:b@y>",
    "to: <sip:b@y>;user=phone",
    "t: sip:b@y",
    "To : \"tag=\" <sip:b@y;tag=1>",  // a tag inside the URI is not the header's
  ])
  func anInviteWithoutAToTagMayStartACall(to: String) {
    #expect(Self.sniff(Self.invite(to: to)))
  }

  @Test(arguments: [
    "To: <sip:b@y>;tag=9",
    "TO: <sip:b@y> ; TAG = 9",
    "t: sip:b@y;tag=9",
    "To: <sip:b@y>\r\n ;tag=9",  // on a continuation line
  ])
  func anInviteWithAToTagIsInADialog(to: String) {
    #expect(!Self.sniff(Self.invite(to: to)))
  }

  @Test func aTagInTheFromHeaderOrTheBodyIsNotAToTag() {
    #expect(Self.sniff(Self.invite(to: "To: <sip:b@y>", from: "From: <sip:a@x>;tag=To;tag=1")))
    let withBody =
      "INVITE sip:b@y SIP/2.0\r\nTo: <sip:b@y>\r\nContent-Length: 12\r\n\r\nTo: x;tag=1\r\n"
    #expect(Self.sniff(withBody))
  }

  @Test func cancelAlwaysWaitsWithTheNewCalls() {
    #expect(Self.sniff("CANCEL sip:b@y SIP/2.0\r\nTo: <sip:b@y>\r\n\r\n"))
  }

  @Test(arguments: [
    "BYE sip:b@y SIP/2.0\r\nTo: <sip:b@y>\r\n\r\n",
    "ACK sip:b@y SIP/2.0\r\nTo: <sip:b@y>\r\n\r\n",
    "SIP/2.0 200 OK\r\nTo: <sip:b@y>\r\nCSeq: 1 INVITE\r\n\r\n",
    "INVITEX sip:b@y SIP/2.0\r\n\r\n",
    "INVITE",
    "",
    "\r\n\r\n",
  ])
  func everythingElseGoesFirst(message: String) {
    #expect(!Self.sniff(message))
  }

  @Test func aMessageCutShortIsReadToItsEnd() {
    #expect(Self.sniff("INVITE sip:b@y SIP/2.0\r\nTo: <sip:b@y>;ta"))
    #expect(Self.sniff("INVITE sip:b@y SIP/2.0\r\nT"))
    #expect(!Self.sniff("INVITE sip:b@y SIP/2.0\r\nTo: <sip:b@y>;tag="))
  }
}
