import Policy
import SIPCore
import Testing

@testable import Proxy

/// `RegistrarRouter`: an INVITE for a registrar domain is routed like any
/// other, to the address of record's contacts (best q first), or refused 480.
@Suite struct RegistrarRouterTests {
  static let office = Endpoint(transport: .udp, host: "192.0.2.10", port: 40_000)

  static func invite(to user: String) throws -> SIPMessage {
    let text = [
      "INVITE sip:\(user)@example.com SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-r1",
      "From: <sip:c@example.net>;tag=ct", "To: <sip:\(user)@example.com>", "Call-ID: rr-1", "CSeq: 1 INVITE",
      "Max-Forwards: 70", "Content-Length: 0", "", "",
    ].joined(separator: "\r\n")
    return try SIPMessage.parse(Array(text.utf8))
  }

  static func context(nowMs: Int64) -> RouteContext {
    RouteContext(nowMs: nowMs, liveCalls: LiveCalls(), cps: CPSLimiter())
  }

  @Test func contactsBestQFirstThen480OnceExpired() throws {
    let registrar = RegistrarTests.registrar()
    let request = Registrar.Request(
      requestURI: "sip:example.com", to: "<sip:alice@example.com>",
      contacts: ["<sip:alice@192.0.2.10:40000>;q=0.5", "<sip:alice@192.0.2.11:40000>;q=0.9"], expires: 60,
      callID: "c1", cseq: 1, source: Self.office)
    _ = registrar.register(request, nowMs: 0)
    let router = RegistrarRouter(registrar: registrar)
    let routed = router.route(
      invite: try Self.invite(to: "alice"), source: Self.office, context: Self.context(nowMs: 0))
    guard case .route(let call) = routed else {
      Issue.record("not routed: \(routed)")
      return
    }
    #expect(call.targets.map(\.requestURI) == ["sip:alice@192.0.2.11:40000", "sip:alice@192.0.2.10:40000"])
    #expect(call.targets.allSatisfy { $0.destination == Self.office })
    let later = router.route(
      invite: try Self.invite(to: "alice"), source: Self.office, context: Self.context(nowMs: 61_000))
    #expect(later == .reject(status: 480, reason: "Temporarily Unavailable"))
    let unknown = router.route(
      invite: try Self.invite(to: "bob"), source: Self.office, context: Self.context(nowMs: 0))
    #expect(unknown == .reject(status: 480, reason: "Temporarily Unavailable"))
  }
}
