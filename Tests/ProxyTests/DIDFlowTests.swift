import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Calls to DIDs (docs/dids.md): an interconnect's INVITE to one of our
/// numbers rings its owner's registered devices, or goes where the owner's
/// call rules send it; the inbound row says `inbound` with the user and the
/// number; a forwarded leg is the owner's call, charged to its wallet, in a
/// second row linked to the first.
@Suite struct DIDFlowTests {
  typealias H = FlowHarness
  typealias F = RetailFlowFixture
  static let carrier = F.carrier
  static let phone = Endpoint(transport: .udp, host: "192.0.2.77", port: 40_123)
  static let wallet = AccountRef(.wallet, "7")
  static let domain = F.domain

  static func rule(_ id: String, _ number: String, _ kind: CallRule.Kind, timeout: Int? = nil) -> CallRule {
    CallRule(
      id: id, phoneNumberID: number, kind: kind,
      forwardTo: kind == .doNotDisturb ? nil : .number("15551234"), timeoutSeconds: timeout)
  }

  static func snapshot() throws -> Snapshot {
    // The owner's price for forwarded calls: 0.60 a minute, 1/1.
    var rating = try RatingPlan.Builder(id: "r9", name: "retail", currency: "USD", margin: .off)
    try rating.add(
      prefix: "1",
      rate: Rate(ratePerMinute: Money("0.60")!, increments: BillingIncrements(initial: 1, recurring: 1)!))
    let dids = DIDDirectory(
      [
        DIDNumber(id: "11", number: "15550001001", userID: "1"),
        DIDNumber(
          id: "22", number: "15550002002", userID: "5", rules: [rule("1", "22", .forwardUnavailable)]),
        DIDNumber(id: "33", number: "15550003003", userID: "1", rules: [rule("2", "33", .doNotDisturb)]),
        DIDNumber(id: "44", number: "15550004004", userID: "1", status: .released),
        DIDNumber(
          id: "55", number: "+15550005005", userID: "1",
          rules: [rule("3", "55", .forwardNoAnswer, timeout: 10)]),
        DIDNumber(id: "66", number: "15550006006", userID: "6"),
        // 56 (user 1): busy to 15551234, no answer after 10 s to 15559876.
        DIDNumber(
          id: "56", number: "15550005656", userID: "1",
          rules: [
            rule("561", "56", .forwardBusy),
            CallRule(
              id: "562", phoneNumberID: "56", kind: .forwardNoAnswer, forwardTo: .number("15559876"),
              timeoutSeconds: 10, priority: 2),
          ]),
        DIDNumber(id: "77", number: "18005550077", userID: "1", isTollFree: true),
        // 88 (user 6, no wallet) forwards always to 22 (user 5): on-net, then 5's rule.
        DIDNumber(
          id: "88", number: "15550008008", userID: "6",
          rules: [
            CallRule(id: "8", phoneNumberID: "88", kind: .forwardAlways, forwardTo: .number("15550002002"))
          ]),
        // 99's owner (user 9) may place no call this month.
        DIDNumber(
          id: "99", number: "15550009009", userID: "9",
          rules: [
            CallRule(id: "9", phoneNumberID: "99", kind: .forwardAlways, forwardTo: .number("15551234"))
          ]),
      ],
      owners: [
        RetailUser(id: "5", carrierID: "c9", walletID: "7"),
        RetailUser(id: "9", carrierID: "c9", walletID: "7", monthlyCallLimit: 0),
      ])
    let retail = RetailDirectory(
      users: [
        RetailUser(id: "1", carrierID: "c9", walletID: "7"), RetailUser(id: "6", carrierID: "c9"),
      ],
      devices: [DeviceRegistration(sipUsername: "1001", sipPassword: "pw", userID: "1")],
      numbers: [PhoneNumber(id: "11", number: "15550001001", userID: "1")], dids: dids)
    return try F.snapshot(retail: retail, retailRating: try rating.build())
  }

  static func harness(registered: Bool = true, balance: String = "5") throws -> (FlowHarness, CreditLedger) {
    let h = FlowHarness(router: CallPipeline(snapshot: try snapshot()))
    let registrar = Registrar(configuration: RegistrarConfiguration(domains: [domain]))
    if registered {
      F.register(
        registrar, user: "1001", contact: "sip:1001@192.0.2.77:40123", callID: "reg-1", source: phone)
    }
    h.core.registrar = registrar
    let ledger = CreditLedger(configuration: CreditConfiguration(stepSeconds: 20, extendLeadMs: 5_000))
    ledger.load([
      CreditAccount(
        ref: wallet, column: .wallet, currency: "USD",
        balance: AccountBalance(amount: Money(balance)!, version: 1), floor: .zero)
    ])
    h.core.credit = ledger
    return (h, ledger)
  }

  static func invite(to number: String, callID: String = "did-1") -> String {
    [
      "INVITE sip:\(number)@127.0.0.1:5070 SIP/2.0",
      "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-\(callID)",
      "From: <sip:4420000000@10.0.0.5>;tag=ct1", "To: <sip:\(number)@127.0.0.1:5070>", "Call-ID: \(callID)",
      "CSeq: 1 INVITE", "Contact: <sip:4420000000@10.0.0.5:5060>", "Max-Forwards: 70", "Content-Length: 0",
      "", "",
    ].joined(separator: "\n")
  }

  static func finalStatus(_ h: FlowHarness) -> Int? {
    h.sender.take().last { $0.destination == carrier && $0.message.statusCode >= 200 }?.message.statusCode
  }

  @Test func aCarrierCallToADIDRingsTheOwnersDeviceAndIsRecordedInbound() throws {
    let (h, _) = try Self.harness()
    h.deliver(Self.invite(to: "+15550001001"), from: Self.carrier)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == Self.phone)
    #expect(forwarded.message.requestURIText == "sip:1001@192.0.2.77:40123")
    h.deliver(H.response(to: forwarded.message, status: 486, reason: "Busy Here"), from: Self.phone)
    #expect(Self.finalStatus(h) == 486)
    let summary = try #require(h.ended.first)
    #expect(h.ended.count == 1)
    let record = summary.callRecord
    #expect(record.direction == .inbound)
    #expect(record.userID == "1" && record.phoneNumberID == "11")
    #expect(record.ingressCarrierID == "c1" && record.egressCarrierID == nil)
    #expect(record.toNumber == "+15550001001" && record.parentCallUUID == nil)
  }

  @Test func numbersThatAreNotDeliveredGetTheirDocumentedAnswer() throws {
    let (h, _) = try Self.harness()
    for (number, status) in [("15550004004", 410), ("15550003003", 486), ("15550006006", 480)] {
      h.deliver(Self.invite(to: number, callID: "n-\(number)"), from: Self.carrier)
      #expect(Self.finalStatus(h) == status, "\(number)")
    }
    #expect(h.core.counters.invitesForwarded == 0)
    // A number that is not ours is routed by the plan as before.
    h.deliver(Self.invite(to: "15559999999", callID: "plan"), from: Self.carrier)
    #expect(h.sender.take().last { $0.message.method == .invite }?.destination == H.uas)
  }

  @Test func aForwardedLegCountsAgainstTheOwnersMonthlyLimit() throws {
    let (h, ledger) = try Self.harness()
    h.deliver(Self.invite(to: "15550009009", callID: "month-1"), from: Self.carrier)
    #expect(Self.finalStatus(h) == 403)
    #expect(h.core.counters.invitesForwarded == 0)
    #expect(ledger.position(of: Self.wallet)?.reserved == .zero)
  }

  @Test func noDeviceRegisteredIs480() throws {
    let (h, _) = try Self.harness(registered: false)
    h.deliver(Self.invite(to: "15550001001"), from: Self.carrier)
    #expect(Self.finalStatus(h) == 480)
  }

  @Test func forwardUnavailableIsTheOwnersCallChargedToItsWalletInALinkedRow() throws {
    let (h, ledger) = try Self.harness()
    h.deliver(Self.invite(to: "15550002002", callID: "fwd-1"), from: Self.carrier)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == H.uas)
    #expect(forwarded.message.requestURIText == "sip:15551234@127.0.0.1:5080")
    // The owner's wallet holds the first second while it rings.
    #expect(ledger.position(of: Self.wallet)?.reserved == Money("0.01"))
    h.deliver(H.response(to: forwarded.message, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.advance(10_000)
    try F.carrierHangsUp(h, callID: "fwd-1", branch: "z9hG4bK-fbye")
    #expect(h.ended.count == 2)
    let leg = try #require(h.ended.first { $0.parentCallUUID != nil }).callRecord
    let inbound = try #require(h.ended.first { $0.parentCallUUID == nil }).callRecord
    #expect(leg.parentCallUUID == inbound.uuid && leg.uuid != inbound.uuid)
    #expect(inbound.direction == .inbound && inbound.userID == "5" && inbound.phoneNumberID == "22")
    #expect(inbound.egressCarrierID == nil && inbound.charges.isEmpty && inbound.status == .completed)
    #expect(leg.direction == .outbound && leg.userID == "5" && leg.toNumber == "15551234")
    #expect(leg.ingressServiceID == "s9" && leg.egressCarrierID == "c2")
    #expect(
      leg.charges == [
        AccountCharge(account: Self.wallet, column: .wallet, amount: Money("0.10")!, currency: "USD")
      ])
    #expect(ledger.position(of: Self.wallet)?.reserved == .zero)
  }

  @Test func theOwnersWalletCutsAForwardedCallWithByeToBothSides() throws {
    // 0.10 pays 10 s at 0.60 a minute; steps of 20 s.
    let (h, ledger) = try Self.harness(balance: "0.10")
    h.deliver(Self.invite(to: "15550002002", callID: "cut-1"), from: Self.carrier)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    h.deliver(H.response(to: forwarded.message, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.advance(9_999)
    #expect(!h.sender.take().contains { $0.message.method == .bye })
    h.advance(1)
    let byes = h.sender.take().filter { $0.message.method == .bye }
    #expect(Set(byes.map(\.destination)) == [H.uas, Self.carrier])
    let leg = try #require(h.ended.first { $0.parentCallUUID != nil })
    #expect(leg.endedBy == "credit" && leg.answeredDurationMs == 10_000)
    #expect(leg.charges.map(\.amount) == [Money("0.10")!])
    #expect(ledger.position(of: Self.wallet)?.available == .zero)
  }

  @Test func forwardNoAnswerCancelsTheDeviceAfterTheTimeoutAndForwards() throws {
    let (h, ledger) = try Self.harness()
    h.deliver(Self.invite(to: "15550005005", callID: "na-1"), from: Self.carrier)
    let device = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(device.destination == Self.phone)
    h.deliver(H.response(to: device.message, status: 180, reason: "Ringing"), from: Self.phone)
    _ = h.sender.take()
    h.advance(9_999)
    #expect(!h.sender.take().contains { $0.message.method == .invite })
    h.advance(1)
    let sent = h.sender.take()
    let cancel = try #require(sent.first { $0.message.method == .cancel })
    #expect(cancel.destination == Self.phone)
    let forwarded = try #require(sent.first { $0.message.method == .invite })
    #expect(forwarded.destination == H.uas)
    // The device's 487 is not the call's answer.
    h.deliver(H.response(to: device.message, status: 487, reason: "Request Terminated"), from: Self.phone)
    #expect(Self.finalStatus(h) == nil)
    h.deliver(H.response(to: forwarded.message, status: 486, reason: "Busy Here"), from: H.uas)
    #expect(Self.finalStatus(h) == 486)
    #expect(h.ended.count == 2)
    #expect(h.ended.allSatisfy { $0.charges.isEmpty })
    #expect(ledger.position(of: Self.wallet)?.reserved == .zero)
  }

  static func answerAndHangUp(_ h: FlowHarness, _ forwarded: SIPMessage, callID: String, afterMs: Int64)
    throws
  {
    h.deliver(
      H.response(to: forwarded, status: 200, reason: "OK"),
      from: forwarded.requestURI?.port == 5080 ? H.uas : Self.phone)
    _ = h.sender.take()
    h.advance(afterMs)
    try F.carrierHangsUp(h, callID: callID)
  }

  @Test func aTollFreeNumbersInboundLegIsChargedToTheOwnersWallet() throws {
    let (h, _) = try Self.harness()
    h.deliver(Self.invite(to: "18005550077", callID: "tf-1"), from: Self.carrier)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == Self.phone)
    try Self.answerAndHangUp(h, forwarded.message, callID: "tf-1", afterMs: 10_000)
    let record = try #require(h.ended.first).callRecord
    #expect(h.ended.count == 1)
    #expect(record.direction == .inbound && record.userID == "1" && record.phoneNumberID == "77")
    #expect(record.customerCharge?.ratingPlanID == "r9")
    #expect(
      record.charges == [
        AccountCharge(account: Self.wallet, column: .wallet, amount: Money("0.10")!, currency: "USD")
      ])
  }

  @Test func anOnNetForwardFollowsTheNextNumbersRulesAndChargesItsOwner() throws {
    let (h, _) = try Self.harness()
    h.deliver(Self.invite(to: "15550008008", callID: "chain-1"), from: Self.carrier)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    // 88 -> 22 (on-net) -> 22's forward_unavailable -> 15551234 at the supplier.
    #expect(forwarded.destination == H.uas && forwarded.message.requestURI?.user == "15551234")
    try Self.answerAndHangUp(h, forwarded.message, callID: "chain-1", afterMs: 5_000)
    let inbound = try #require(h.ended.first { $0.parentCallUUID == nil }).callRecord
    let leg = try #require(h.ended.first { $0.parentCallUUID != nil }).callRecord
    #expect(inbound.userID == "6" && inbound.phoneNumberID == "88")
    #expect(leg.userID == "5" && leg.charges.map(\.account) == [Self.wallet])
  }

  @Test func sipURITargets() {
    #expect(
      DIDDelivery.endpoint(ofURI: "sip:bob@192.0.2.5:5062;transport=udp")
        == Endpoint(transport: .udp, host: "192.0.2.5", port: 5062))
    #expect(
      DIDDelivery.endpoint(ofURI: "sip:bob@192.0.2.5")
        == Endpoint(transport: .udp, host: "192.0.2.5", port: 5060))
    #expect(
      DIDDelivery.endpoint(ofURI: "sip:bob@[::1]:5070") == Endpoint(transport: .udp, host: "::1", port: 5070))
    #expect(DIDDelivery.endpoint(ofURI: "sip:bob@example.com") == nil)
    #expect(DIDDelivery.endpoint(ofURI: "sip:bob@192.0.2.5:0") == nil)
  }
}
