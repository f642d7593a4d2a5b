import Foundation
import Logging
import Proxy
import SIPCore
import Testing

/// `sips:` and Record-Route (RFC 3261 §16.6 step 4 and §26.2.2, RFC 5630,
/// RFC 5658): a switch listening on UDP 5070 and TLS 5071, no sockets.
@Suite struct SIPSRecordRouteFlowTests {
  typealias H = FlowHarness

  static let proxyTLS = Endpoint(transport: .tls, host: "127.0.0.1", port: 5071)
  static let tlsCaller = Endpoint(transport: .tls, host: "127.0.0.1", port: 40000)
  static let tlsCallee = Endpoint(transport: .tls, host: "127.0.0.1", port: 5061)

  /// A core that routes every INVITE to `targets`.
  final class Switch {
    let sender = RecordingSender()
    let clock = ManualClock()
    let core: ProxyCore

    init(targets: [RouteTarget]) {
      struct Router: CallRouter {
        let call: RoutedCall
        func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
          .route(call)
        }
      }
      core = ProxyCore(
        configuration: ProxyConfiguration(localEndpoints: [H.proxyUDP, H.proxyTCP, proxyTLS]),
        sender: sender, clock: clock, router: Router(call: RoutedCall(targets: targets)),
        logger: Logger(label: "test"), processTag: "t1")
      core.journal = MemoryCallJournal()
    }

    func deliver(_ text: String, from source: Endpoint, local: Endpoint) {
      let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
      let decision = bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: true, source: source) }
      if case .request(let message) = decision {
        core.receive(message, from: source, local: local)
      } else if case .response(let message) = decision {
        core.receive(message, from: source, local: local)
      }
    }

    /// The one request sent onwards (after the 100 Trying to the caller).
    func forwarded() throws -> RecordingSender.Sent {
      let sent = sender.take()
      #expect(sent.first?.message.statusCode == 100)
      return try #require(sent.last { $0.message.isRequest })
    }
  }

  /// An INVITE from the caller: `scheme` Request-URI, Via over `transport`.
  static func invite(scheme: String = "sips", via transport: String = "TLS") -> String {
    H.invite()
      .replacingOccurrences(of: "INVITE sip:", with: "INVITE \(scheme):")
      .replacingOccurrences(of: "Via: SIP/2.0/UDP", with: "Via: SIP/2.0/\(transport)")
  }

  @Test func aSIPSInviteOverTLSIsRecordRoutedWithASIPSURI() throws {
    let s = Switch(targets: [RouteTarget(destination: Self.tlsCallee)])
    s.deliver(Self.invite(), from: Self.tlsCaller, local: Self.proxyTLS)
    let forwarded = try s.forwarded()
    #expect(forwarded.destination == Self.tlsCallee)
    #expect(forwarded.message.requestURIText == "sips:service@127.0.0.1:5070")
    // One entry (TLS on both sides, SIPS on both): sips:, no transport=tls.
    #expect(forwarded.message.recordRouteValues == ["<sips:127.0.0.1:5071;lr>"])
  }

  @Test func aSIPInviteOverTLSKeepsASIPRecordRoute() throws {
    let s = Switch(targets: [RouteTarget(destination: Self.tlsCallee)])
    s.deliver(Self.invite(scheme: "sip"), from: Self.tlsCaller, local: Self.proxyTLS)
    #expect(try s.forwarded().message.recordRouteValues == ["<sip:127.0.0.1:5071;transport=tls;lr>"])
  }

  /// §16.6 step 4: received over TLS as SIPS, sent without a SIPS URI: the
  /// callee's entry is not SIPS, the caller's stays SIPS (two entries).
  @Test func aSIPSCallSentOnAsSIPGetsOneEntryOfEachScheme() throws {
    let target = RouteTarget(
      destination: Self.tlsCallee, requestURI: "sip:alice@127.0.0.1:5061;transport=tls")
    let s = Switch(targets: [target])
    s.deliver(Self.invite(), from: Self.tlsCaller, local: Self.proxyTLS)
    #expect(
      try s.forwarded().message.recordRouteValues == [
        "<sip:127.0.0.1:5071;transport=tls;lr>", "<sips:127.0.0.1:5071;lr>",
      ])
  }

  /// A UDP caller to a phone reached as sips: over TLS: double Record-Route,
  /// sips: on the TLS side; the dialog's BYE from either side comes back
  /// with both entries in its Route, recognised as ours, and goes on.
  @Test func doubleRecordRouteUDPToTLSWithSIPSOnTheTLSSideAndTheByeRoutedBack() throws {
    let phone = RouteTarget(destination: Self.tlsCallee, requestURI: "sips:alice@127.0.0.1:5061")
    let s = Switch(targets: [phone])
    s.deliver(Self.invite(scheme: "sip", via: "UDP"), from: H.uac, local: H.proxyUDP)
    let invite = try s.forwarded()
    #expect(invite.destination == Self.tlsCallee)
    #expect(invite.message.requestURIText == "sips:alice@127.0.0.1:5061")
    #expect(invite.message.recordRouteValues == ["<sips:127.0.0.1:5071;lr>", "<sip:127.0.0.1:5070;lr>"])
    #expect(invite.message.topVia?.transport.uppercased() == "TLS")

    s.deliver(
      H.response(to: invite.message, status: 200, reason: "OK"), from: Self.tlsCallee, local: Self.proxyTLS)
    let ok = s.sender.take()
    #expect(ok.map(\.destination) == [H.uac])
    #expect(ok.first?.message.recordRouteValues == ["<sips:127.0.0.1:5071;lr>", "<sip:127.0.0.1:5070;lr>"])
    #expect(s.core.dialogCount == 1)

    // The caller's route set is the Record-Route reversed: its side first.
    let callerRoute = "<sip:127.0.0.1:5070;lr>, <sips:127.0.0.1:5071;lr>"
    s.deliver(
      H.inDialog(
        "ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1, route: callerRoute),
      from: H.uac, local: H.proxyUDP)
    #expect(s.sender.take().map(\.destination) == [Self.tlsCallee])

    // The callee's BYE (its route set in order: its side first).
    s.deliver(
      H.inDialog(
        "BYE", branch: "z9hG4bK-bye", fromTag: "uastag", toTag: "uactag", via: "SIP/2.0/TLS 127.0.0.1:5061",
        route: "<sips:127.0.0.1:5071;lr>, <sip:127.0.0.1:5070;lr>"),
      from: Self.tlsCallee, local: Self.proxyTLS)
    let bye = s.sender.take()
    #expect(bye.count == 1)
    #expect(bye.first?.destination == H.uac)
    // Both of the switch's entries were taken off: none is left for the caller.
    #expect(bye.first?.message.routeCount == 0)
  }

  /// The caller's BYE in the same dialog, over UDP, also crosses to TLS.
  @Test func theCallersByeWithTheSIPSEntryGoesToTheTLSSide() throws {
    let phone = RouteTarget(destination: Self.tlsCallee, requestURI: "sips:alice@127.0.0.1:5061")
    let s = Switch(targets: [phone])
    s.deliver(Self.invite(scheme: "sip", via: "UDP"), from: H.uac, local: H.proxyUDP)
    let invite = try s.forwarded()
    s.deliver(
      H.response(to: invite.message, status: 200, reason: "OK"), from: Self.tlsCallee, local: Self.proxyTLS)
    _ = s.sender.take()
    s.deliver(
      H.inDialog(
        "BYE", branch: "z9hG4bK-bye2", fromTag: "uactag", toTag: "uastag",
        route: "<sip:127.0.0.1:5070;lr>, <sips:127.0.0.1:5071;lr>"),
      from: H.uac, local: H.proxyUDP)
    let bye = s.sender.take()
    #expect(bye.map(\.destination) == [Self.tlsCallee])
    #expect(bye.first?.message.topVia?.transport.uppercased() == "TLS")
    #expect(bye.first?.message.routeCount == 0)
  }

  /// RFC 3261 §26.2.2, RFC 5630: a SIPS request that arrived over UDP or TCP
  /// is answered 480 and not sent on.
  @Test(arguments: [("UDP", H.proxyUDP), ("TCP", H.proxyTCP)])
  func aSIPSRequestOverPlainTransportIsRefused(via: String, local: Endpoint) throws {
    let s = Switch(targets: [RouteTarget(destination: Self.tlsCallee)])
    let source = Endpoint(transport: local.transport, host: "127.0.0.1", port: 5090)
    s.deliver(Self.invite(via: via), from: source, local: local)
    let sent = s.sender.take()
    #expect(sent.allSatisfy { $0.destination == source })
    let final = try #require(sent.last?.message)
    #expect(final.statusCode == 480)
    #expect(final.reasonPhrase == "Secure Transport Required")
    // An OPTIONS too; a sips: Route counts as a SIPS request (§16.6 step 4).
    let options = H.inDialog(
      "OPTIONS", branch: "z9hG4bK-o", fromTag: "a", toTag: "b", via: "SIP/2.0/\(via) 127.0.0.1:5090"
    )
    .replacingOccurrences(of: "To: <sip:b@y>;tag=b", with: "To: <sip:b@y>")
    .replacingOccurrences(of: "Max-Forwards: 70", with: "Max-Forwards: 70\nRoute: <sips:127.0.0.1:5071;lr>")
    s.deliver(options, from: source, local: local)
    #expect(s.sender.take().map { $0.message.statusCode } == [480])
  }
}
