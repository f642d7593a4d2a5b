import Foundation
import SIPCore
import Testing

@testable import Proxy

/// The proxy as a peer sees it (issue 16, "Proxy conformance fixes"): an
/// unknown method is forwarded (RFC 3261 §16), `received` always goes with
/// `rport` (RFC 3581 §4), and header fields the switch does not edit leave
/// as they came.
@Suite struct ConformanceFlowTests {
  typealias H = FlowHarness

  /// An out-of-dialog request of `method` for `requestURI`, from the UAC.
  static func request(
    _ method: String, _ requestURI: String, via: String = "SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-x-1",
    extra: [String] = []
  ) -> String {
    ([
      "\(method) \(requestURI) SIP/2.0", "Via: \(via)", "From: <sip:sipp@127.0.0.1:5090>;tag=uactag",
      "To: <\(requestURI)>", "Call-ID: conform-1", "CSeq: 1 \(method)", "Max-Forwards: 70",
    ] + extra + ["Content-Length: 0", "", ""]).joined(separator: "\n")
  }

  // MARK: Unknown methods (RFC 3261 §16)

  @Test func anUnknownMethodForAUserElsewhereIsForwardedAndAnswered() throws {
    let h = FlowHarness()
    h.deliver(Self.request("FROBNICATE", "sip:bob@127.0.0.1:5080"))
    let sent = h.sender.take()
    #expect(sent.count == 1)
    let forwarded = try #require(sent.first)
    #expect(forwarded.destination == H.uas)
    #expect(forwarded.message.method == .extension("FROBNICATE"))
    #expect(forwarded.message.viaCount == 2)
    #expect(forwarded.message.maxForwards == 69)
    #expect(forwarded.message.requestURIText == "sip:bob@127.0.0.1:5080")
    // The answer goes back to the caller through the switch's transaction.
    h.deliver(
      H.response(to: forwarded.message, status: 200, reason: "OK", recordRoute: false), from: H.uas)
    let answer = h.sender.take()
    #expect(answer.map { $0.message.statusCode } == [200])
    #expect(answer.first?.destination == H.uac)
    #expect(answer.first?.message.viaCount == 1)
  }

  @Test func anUnknownMethodFollowsItsRouteSet() throws {
    let h = FlowHarness()
    h.deliver(
      Self.request(
        "FOO", "sip:service@127.0.0.1:5070",
        extra: ["Route: <sip:127.0.0.1:5070;lr>, <sip:127.0.0.1:5081;lr>"]))
    let sent = h.sender.take()
    #expect(sent.count == 1)
    #expect(sent.first?.destination == H.uas2)
    #expect(sent.first?.message.method == .extension("FOO"))
    #expect(sent.first?.message.routeCount == 1)
  }

  @Test func anUnknownMethodForAUserHereWithNoRouteGets404() {
    let h = FlowHarness()
    h.deliver(Self.request("FROBNICATE", "sip:service@127.0.0.1:5070"))
    let sent = h.sender.take()
    #expect(sent.map { $0.message.statusCode } == [404])
    #expect(sent.first?.destination == H.uac)
  }

  @Test func anUnknownMethodForTheSwitchItselfStillGets501() {
    let h = FlowHarness()
    h.deliver(Self.request("FROBNICATE", "sip:127.0.0.1:5070"))
    let sent = h.sender.take()
    #expect(sent.map { $0.message.statusCode } == [501])
    #expect(sent.first?.text.contains("\r\nAllow: INVITE, ACK, BYE") == true)
  }

  // MARK: received with rport (RFC 3581 §4)

  @Test func rportGetsReceivedEvenWhenTheHostIsTheSource() throws {
    let h = FlowHarness()
    let invite = H.invite().replacingOccurrences(
      of: "branch=z9hG4bK-uac-1", with: "branch=z9hG4bK-uac-1;rport")
    h.deliver(invite)
    let forwarded = try #require(h.sender.take().last?.message)
    let callerVia = try #require(forwarded.via(at: 1))
    #expect(callerVia.host == "127.0.0.1")
    #expect(callerVia.received == "127.0.0.1")
    #expect(callerVia.rportValue == 5090)
  }

  @Test func aLocalAnswerToRportGetsReceivedEvenWhenTheHostIsTheSource() throws {
    let h = FlowHarness()
    let invite = H.invite(maxForwards: 0).replacingOccurrences(
      of: "branch=z9hG4bK-uac-1", with: "branch=z9hG4bK-uac-1;rport")
    h.deliver(invite)
    let refusal = try #require(h.sender.take().last?.message)
    #expect(refusal.statusCode == 483)
    #expect(refusal.topVia?.received == "127.0.0.1")
    #expect(refusal.topVia?.rportValue == 5090)
  }

  @Test func withoutRportAnEqualHostGetsNoReceived() throws {
    let h = FlowHarness()
    h.deliver(H.invite())
    let forwarded = try #require(h.sender.take().last?.message)
    #expect(forwarded.via(at: 1)?.received == nil)
  }
}
