import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// A call to a DID whose owner has forward rules (docs/dids.md): the
/// owner's devices ring at once (a parallel fork) and the rule's forwarded
/// leg rides on the fork's `UnansweredHook`: every device busy ->
/// `forward_busy`, the rule's timeout -> CANCEL to every device, then
/// `forward_no_answer`; each rule to its own number. DID 56 of
/// `DIDFlowTests.snapshot`: busy to 15551234, no answer (10 s) to 15559876.
@Suite struct DIDForkFlowTests {
  typealias H = FlowHarness
  typealias D = DIDFlowTests
  static let phone2 = Endpoint(transport: .udp, host: "192.0.2.78", port: 40_124)

  /// `DIDFlowTests.harness` with a second device of user 1 registered.
  static func harness(balance: String = "5") throws -> (FlowHarness, CreditLedger) {
    let (h, ledger) = try D.harness(balance: balance)
    RetailFlowFixture.register(
      h.core.registrar, user: "1001", contact: "sip:1001@192.0.2.78:40124", callID: "reg-2", source: phone2)
    return (h, ledger)
  }

  /// The call to DID 56: both devices' INVITEs (sent at once).
  static func ringBoth(_ h: FlowHarness, callID: String) throws -> (SIPMessage, SIPMessage) {
    h.deliver(D.invite(to: "15550005656", callID: callID), from: D.carrier)
    let invites = h.sender.take().filter { $0.message.method == .invite }
    #expect(Set(invites.map(\.destination)) == [D.phone, phone2])
    let first = try #require(invites.first { $0.destination == D.phone }).message
    let second = try #require(invites.first { $0.destination == phone2 }).message
    return (first, second)
  }

  /// Both devices answer their INVITE of `ringBoth` with `status`.
  static func bothAnswer(
    _ h: FlowHarness, _ invites: (SIPMessage, SIPMessage), _ status: Int, _ reason: String
  ) {
    h.deliver(H.response(to: invites.0, status: status, reason: reason), from: D.phone)
    h.deliver(H.response(to: invites.1, status: status, reason: reason), from: phone2)
  }

  @Test func busyFromBothDevicesForwardsToTheBusyRulesNumber() throws {
    let (h, ledger) = try Self.harness()
    let (first, second) = try Self.ringBoth(h, callID: "fb-1")
    // The owner's wallet holds nothing for a leg not placed yet.
    #expect(ledger.position(of: D.wallet)?.reserved == .zero)
    h.deliver(H.response(to: first, status: 486, reason: "Busy Here"), from: D.phone)
    #expect(!h.sender.take().contains { $0.message.method == .invite })
    h.deliver(H.response(to: second, status: 486, reason: "Busy Here"), from: Self.phone2)
    let sent = h.sender.take()
    #expect(D.finalStatus(h) == nil)
    let forwarded = try #require(sent.last { $0.message.method == .invite })
    #expect(forwarded.destination == H.uas)
    #expect(forwarded.message.requestURIText == "sip:15551234@127.0.0.1:5080")
    #expect(ledger.position(of: D.wallet)?.reserved == Money("0.01"))
    try D.answerAndHangUp(h, forwarded.message, callID: "fb-1", afterMs: 10_000)
    #expect(h.ended.count == 2)
    let inbound = try #require(h.ended.first { $0.parentCallUUID == nil }).callRecord
    let leg = try #require(h.ended.first { $0.parentCallUUID != nil }).callRecord
    #expect(leg.parentCallUUID == inbound.uuid)
    #expect(inbound.direction == .inbound && inbound.phoneNumberID == "56" && inbound.charges.isEmpty)
    #expect(leg.direction == .outbound && leg.userID == "1" && leg.toNumber == "15551234")
    #expect(
      leg.charges == [
        AccountCharge(account: D.wallet, column: .wallet, amount: Money("0.10")!, currency: "USD")
      ])
    #expect(ledger.position(of: D.wallet)?.reserved == .zero)
  }

  @Test func noAnswerCancelsEveryDeviceThenForwardsToTheNoAnswerRulesNumber() throws {
    let (h, ledger) = try Self.harness()
    let (first, second) = try Self.ringBoth(h, callID: "fna-1")
    Self.bothAnswer(h, (first, second), 180, "Ringing")
    _ = h.sender.take()
    h.advance(9_999)
    #expect(h.sender.take().isEmpty)
    h.advance(1)
    let sent = h.sender.take()
    let cancels = sent.filter { $0.message.method == .cancel }
    #expect(Set(cancels.map(\.destination)) == [D.phone, Self.phone2] && cancels.count == 2)
    let forwarded = try #require(sent.last { $0.message.method == .invite })
    #expect(forwarded.destination == H.uas)
    #expect(forwarded.message.requestURIText == "sip:15559876@127.0.0.1:5080")
    // The CANCELs come before the forwarded INVITE.
    let cancelAt = try #require(sent.lastIndex { $0.message.method == .cancel })
    #expect(cancelAt < (sent.lastIndex { $0.message.method == .invite } ?? -1))
    // The devices' 487s are not the call's answer.
    Self.bothAnswer(h, (first, second), 487, "Request Terminated")
    #expect(D.finalStatus(h) == nil)
    h.deliver(H.response(to: forwarded.message, status: 486, reason: "Busy Here"), from: H.uas)
    #expect(D.finalStatus(h) == 486)
    #expect(h.ended.count == 2)
    #expect(h.ended.allSatisfy { $0.charges.isEmpty })
    #expect(ledger.position(of: D.wallet)?.reserved == .zero)
  }

  @Test func theBusyAndNoAnswerRulesEachForwardInTheirOwnCaseAndAFailureByNoneWithoutARule() throws {
    let (h, _) = try Self.harness()
    // Busy on both: the busy rule's number.
    var (first, second) = try Self.ringBoth(h, callID: "case-busy")
    h.deliver(H.response(to: first, status: 486, reason: "Busy Here"), from: D.phone)
    h.deliver(H.response(to: second, status: 600, reason: "Busy Everywhere"), from: Self.phone2)
    let busy = h.sender.take().last { $0.message.method == .invite }
    #expect(busy?.message.requestURI?.user == "15551234")
    // No answer: the no-answer rule's number.
    (first, second) = try Self.ringBoth(h, callID: "case-na")
    h.deliver(H.response(to: first, status: 180, reason: "Ringing"), from: D.phone)
    h.advance(10_000)
    let noAnswer = h.sender.take().last { $0.message.method == .invite }
    #expect(noAnswer?.message.requestURI?.user == "15559876")
    // Busy and unavailable mixed: no forward_unavailable rule, so the
    // devices' best response goes back and nothing is forwarded.
    (first, second) = try Self.ringBoth(h, callID: "case-mixed")
    h.deliver(H.response(to: first, status: 486, reason: "Busy Here"), from: D.phone)
    h.deliver(H.response(to: second, status: 480, reason: "Temporarily Unavailable"), from: Self.phone2)
    let mixed = h.sender.take()
    #expect(!mixed.contains { $0.message.method == .invite })
    #expect(mixed.last { $0.destination == D.carrier }?.message.statusCode == 486)
  }

  @Test func aForwardTheOwnersWalletCannotPayLeavesTheDevicesBestResponse() throws {
    let (h, ledger) = try Self.harness(balance: "0")
    Self.bothAnswer(h, try Self.ringBoth(h, callID: "broke-1"), 486, "Busy Here")
    let sent = h.sender.take()
    #expect(!sent.contains { $0.message.method == .invite })
    #expect(sent.last { $0.destination == D.carrier }?.message.statusCode == 486)
    // One row, the inbound one; nothing held on the wallet.
    #expect(h.ended.count == 1 && h.ended.first?.parentCallUUID == nil)
    #expect(ledger.position(of: D.wallet)?.reserved == .zero)
  }
}
