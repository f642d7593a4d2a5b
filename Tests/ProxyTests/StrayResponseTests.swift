import Foundation
import SIPCore
import Testing

@testable import Proxy

/// RFC 3261 §16.7 / §18.1.2: a response that matches no client transaction
/// is dropped; where a response goes is never read from the message alone.
/// A 2xx that a dialog still wants (a retransmission after Timer M, RFC 6026)
/// goes to the dialog's caller.
@Suite struct StrayResponseTests {
  typealias H = FlowHarness

  /// A response whose top Via carries this process's branch prefix ("t1" in
  /// the harness) and whose second Via points at `second`.
  static func forged(status: Int = 200, method: String = "INVITE", toTag: String = "x", second: String)
    -> String
  {
    [
      "SIP/2.0 \(status) OK", "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKt1deadbeef.zz",
      "Via: \(second)", "From: <sip:a@x>;tag=a", "To: <sip:b@y>;tag=\(toTag)", "Call-ID: forged-1",
      "CSeq: 1 \(method)", "Content-Length: 0", "", "",
    ].joined(separator: "\n")
  }

  @Test(arguments: [
    "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-v;received=203.0.113.9;rport=9999",
    "SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-v", "SIP/2.0/TCP 127.0.0.1:6000;branch=z9hG4bK-v",
  ])
  func aForgedResponseWithOurPrefixIsDropped(second: String) {
    let h = FlowHarness()
    h.deliver(Self.forged(second: second), from: H.uas)
    h.deliver(Self.forged(status: 180, second: second), from: H.uas)
    h.deliver(Self.forged(method: "BYE", second: second), from: H.uas)
    #expect(h.sender.take().isEmpty)
    #expect(h.core.counters.strayResponses == 3)
    #expect(h.core.counters.statelessForwards == 0)
  }

  /// Answers a call and lets its client transaction end (Timer M, 64*T1).
  func answeredCallPastTimerM(_ h: FlowHarness) throws -> String {
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    let ok = H.response(to: invite, status: 200, reason: "OK")
    h.deliver(ok, from: H.uas)
    #expect(h.sender.take().map(\.destination) == [H.uac])
    h.deliver(H.inDialog("ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1))
    _ = h.sender.take()
    for _ in 0..<40 { h.advance(1_000) }
    #expect(h.core.transactionCount == 0)
    #expect(h.core.dialogCount == 1)
    return ok
  }

  @Test func aLate2xxRetransmissionStillReachesTheCaller() throws {
    let h = FlowHarness()
    let ok = try answeredCallPastTimerM(h)
    h.deliver(ok, from: H.uas)
    let sent = h.sender.take()
    #expect(sent.map(\.destination) == [H.uac])
    #expect(sent.first?.message.statusCode == 200)
    #expect(sent.first?.message.viaCount == 1)
    #expect(h.core.counters.strayResponses == 0)
  }

  @Test func aLate2xxGoesToTheDialogsCallerNotToItsSecondVia() throws {
    let h = FlowHarness()
    let ok = try answeredCallPastTimerM(h)
    let redirected = ok.replacingOccurrences(
      of: "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-uac-1",
      with: "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-uac-1;received=203.0.113.9;rport=9")
    #expect(redirected != ok)
    h.deliver(redirected, from: H.uas)
    #expect(h.sender.take().map(\.destination) == [H.uac])
  }

  @Test func aLate2xxOfNoDialogIsDropped() throws {
    let h = FlowHarness()
    let ok = try answeredCallPastTimerM(h)
    h.deliver(ok.replacingOccurrences(of: "tag=uastag", with: "tag=other"), from: H.uas)
    #expect(h.sender.take().isEmpty)
    #expect(h.core.counters.strayResponses == 1)
  }

  @Test func aForked2xxDuringTimerMGoesToTheCaller() throws {
    let h = FlowHarness()
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    // A second branch of a forking proxy downstream answers too (§16.7 step 5).
    h.deliver(H.response(to: invite, status: 200, reason: "OK", toTag: "fork2"), from: H.uas)
    let sent = h.sender.take()
    #expect(sent.map(\.destination) == [H.uac])
    #expect(sent.first?.message.toTag == "fork2")
  }
}
