import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Live credit in the proxy core, on a manual clock: the first interval
/// reserved at admission, steps reserved before the paid time runs out,
/// BYE to both sides exactly when it does, and the charges of the call.
@Suite struct CreditFlowTests {
  typealias H = FlowHarness

  static let ingress = CarrierLeg(carrierID: "c1", interconnectID: "i1", serviceID: "s1")
  static let egress = CarrierLeg(carrierID: "c2", interconnectID: "i2", serviceID: "s2")
  static let customer = AccountRef(.customer, "c1")
  static let supplier = AccountRef(.supplier, "c2")

  /// 0.60 a minute per second (0.01 a second) for the customer, 0.30 for the supplier.
  static let price = RateQuote(
    ratingPlanID: "p1", prefix: "1", currency: "USD", ratePerMinute: Money("0.60")!)
  static let cost = RateQuote(ratingPlanID: "p2", prefix: "1", currency: "USD", ratePerMinute: Money("0.30")!)

  /// Does what the call pipeline's credit step does, for a fixed call.
  struct CreditRouter: CallRouter {
    func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
      let party = CreditParty(account: CreditFlowTests.customer, quote: CreditFlowTests.price)
      if let shortage = context.credit?.admit(call: context.callUUID, customer: party) {
        return .refuse(
          Refusal(status: shortage.refusal.status, reason: shortage.refusal.reason, kind: .credit))
      }
      return .route(
        RoutedCall(
          targets: [RouteTarget(destination: H.uas, egress: egress, supplierQuote: cost)], ingress: ingress,
          policy: CallPolicy(creditControl: true), customerQuote: price))
    }
  }

  static func harness(balance: String, supplierBalance: String? = nil, step: Int64 = 20) -> (
    FlowHarness, CreditLedger
  ) {
    let h = FlowHarness(router: CreditRouter())
    let ledger = CreditLedger(configuration: CreditConfiguration(stepSeconds: step, extendLeadMs: 5_000))
    var accounts = [
      CreditAccount(
        ref: customer, column: .customer, currency: "USD",
        balance: AccountBalance(amount: Money(balance)!, version: 1), floor: .zero)
    ]
    if let supplierBalance {
      accounts.append(
        CreditAccount(
          ref: supplier, column: .supplier, currency: "USD",
          balance: AccountBalance(amount: Money(supplierBalance)!, version: 1), floor: .zero))
    }
    ledger.load(accounts)
    h.core.credit = ledger
    return (h, ledger)
  }

  func answer(_ h: FlowHarness, callID: String = "call-1", branch: String = "z9hG4bK-uac-1") -> SIPMessage {
    h.deliver(H.invite(callID: callID, branch: branch))
    let invite = h.sender.take().last!.message
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    return invite
  }

  @Test func theCallIsCutWithByeToBothSidesExactlyWhenItsMoneyRunsOut() throws {
    // 0.45 buys 45 seconds: steps of 20 s reach 40, then 45, then nothing.
    let (h, ledger) = Self.harness(balance: "0.45")
    _ = answer(h)
    #expect(ledger.paidSeconds(call: h.ended.first?.recordID ?? "") == nil)
    h.advance(15_000)  // 5 s before 20 s: the next step
    h.advance(20_000)  // 35 s: the step after
    #expect(h.sender.take().isEmpty)
    h.advance(9_999)  // 44.999 s
    #expect(h.sender.take().isEmpty)
    h.advance(1)  // 45 s: BYE both ways
    let byes = h.sender.take()
    #expect(byes.count == 2)
    #expect(Set(byes.map(\.destination)) == [H.uas, H.uac])
    #expect(byes.allSatisfy { $0.message.method == .bye })
    #expect(byes.first?.message.headerValues("reason").first?.contains("Credit Exhausted") == true)
    let summary = try #require(h.ended.first)
    #expect(summary.endedBy == "credit")
    #expect(summary.answeredDurationMs == 45_000)
    #expect(summary.charges.map(\.amount) == [Money("0.45")!])
    #expect(summary.callRecord.charges == summary.charges)
    #expect(h.core.counters.callsEndedByCredit == 1)
    #expect(ledger.position(of: Self.customer)?.available == .zero)
  }

  @Test func aLateTimerDoesNotBillPastThePaidTime() throws {
    let (h, _) = Self.harness(balance: "0.10")
    _ = answer(h)
    h.advance(60_000)  // the wheel fires everything late at once
    let summary = try #require(h.ended.first)
    #expect(summary.answeredDurationMs == 10_000)
    #expect(summary.charges.map(\.amount) == [Money("0.10")!])
  }

  @Test func aTopUpBeforeTheCutOffLetsTheCallGoOn() {
    let (h, ledger) = Self.harness(balance: "0.10")
    _ = answer(h)
    h.advance(5_000)  // the check finds nothing more; the cut-off is set for 10 s
    ledger.refresh([Self.customer: AccountBalance(amount: Money("1.00")!, version: 2)], nowUnixMs: 0)
    h.advance(5_000)
    #expect(h.sender.take().isEmpty)
    #expect(h.core.dialogCount == 1)
  }

  @Test func aCallerByeBeforeTheCutOffChargesTheTimeUsed() throws {
    let (h, ledger) = Self.harness(balance: "1.00")
    _ = answer(h)
    h.advance(12_345)
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye-1", fromTag: "uactag", toTag: "uastag"))
    let bye = h.sender.take().last!.message
    h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    let summary = try #require(h.ended.first)
    #expect(summary.charges.map(\.amount) == [Money("0.13")!])
    #expect(ledger.position(of: Self.customer)?.pending == Money("0.13")!)
    #expect(ledger.position(of: Self.customer)?.reserved == .zero)
    _ = h.sender.take()
    h.advance(60_000)
    #expect(h.sender.take().isEmpty)
  }

  @Test func aCallThatCannotPayTheFirstIntervalGets402AndNoRecord() throws {
    let (h, _) = Self.harness(balance: "0.005")
    h.deliver(H.invite())
    let refusal = try #require(h.sender.take().last?.message)
    #expect(refusal.statusCode == 402)
    #expect(refusal.reasonPhrase == "Insufficient Credit")
    #expect(h.ended.isEmpty)
    #expect(h.core.counters.creditRefusals == 1)
  }

  @Test func anUnansweredCallReleasesItsReservationAndCostsNothing() throws {
    let (h, ledger) = Self.harness(balance: "0.01")
    h.deliver(H.invite())
    let invite = h.sender.take().last!.message
    #expect(ledger.position(of: Self.customer)?.reserved == Money("0.01")!)
    // A second call cannot pay while the first rings.
    h.deliver(H.invite(callID: "call-2", branch: "z9hG4bK-uac-2"))
    #expect(h.sender.take().last?.message.statusCode == 402)
    h.deliver(H.response(to: invite, status: 486, reason: "Busy Here"), from: H.uas)
    let summary = try #require(h.ended.first)
    #expect(summary.charges.isEmpty)
    #expect(ledger.position(of: Self.customer)?.reserved == .zero)
  }

  @Test func theSuppliersBalanceEndsTheCallTooAndBothSidesAreCharged() throws {
    // The supplier's 0.05 at 0.30 a minute lasts 10 seconds.
    let (h, _) = Self.harness(balance: "10", supplierBalance: "0.05")
    _ = answer(h)
    h.advance(10_000)
    #expect(h.sender.take().filter { $0.message.method == .bye }.count == 2)
    let summary = try #require(h.ended.first)
    #expect(summary.charges.map(\.account) == [Self.customer, Self.supplier])
    #expect(summary.charges.map(\.amount) == [Money("0.10")!, Money("0.05")!])
  }
}
