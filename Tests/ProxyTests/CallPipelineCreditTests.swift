import Billing
import Policy
import Routing
import Testing

@testable import Proxy

/// The pipeline's credit step against the rating world of
/// `CallPipelineRatingTests`: the customer pays the first 60 s block
/// (0.020) or gets 402; suppliers whose accounts cannot pay are skipped.
@Suite struct CallPipelineCreditTests {
  typealias World = CallPipelineRatingTests.World

  static func account(_ ref: AccountRef, _ balance: String, floor: Money? = .zero, spendLimit: String? = nil)
    -> CreditAccount
  {
    CreditAccount(
      ref: ref, column: ref.kind == .customer ? .customer : .supplier, currency: "USD",
      balance: AccountBalance(amount: Money(balance)!, version: 1), floor: floor,
      spendLimit24h: spendLimit.map { Money($0)! })
  }

  func route(_ ledger: CreditLedger, call: String = "rec-1", emergency: Set<String> = []) throws
    -> RouteDecision
  {
    try CallPipeline(snapshot: World().snapshot(), emergencyNumbers: emergency).route(
      invite: CallPipelineTests.invite(user: "4420"), source: CallPipelineRatingTests.source,
      context: RouteContext(
        nowMs: 0, unixMs: 1_790_000_000_000, liveCalls: LiveCalls(), cps: CPSLimiter(), randomSeed: 1,
        credit: ledger, callUUID: call))
  }

  @Test func aCustomerThatCannotPayTheFirstBlockGets402() throws {
    let ledger = CreditLedger()
    ledger.load([Self.account(AccountRef(.customer, "c1"), "0.019")])
    #expect(try route(ledger) == .refuse(Refusal(status: 402, reason: "Insufficient Credit", kind: .credit)))
    ledger.load([Self.account(AccountRef(.customer, "c1"), "0.020")])
    guard case .route(let call) = try route(ledger) else {
      Issue.record("refused")
      return
    }
    #expect(call.policy.creditControl)
    #expect(ledger.position(of: AccountRef(.customer, "c1"))?.reserved == Money("0.020"))
  }

  /// `retail.emergency_numbers` (docs/softphones.md): never refused for
  /// credit, and holding none of the customer's.
  @Test func anEmergencyNumberIsNeverRefusedForCredit() throws {
    let ledger = CreditLedger()
    ledger.load([Self.account(AccountRef(.customer, "c1"), "0")])
    guard case .route = try route(ledger, emergency: ["4420"]) else {
      Issue.record("an emergency number was refused")
      return
    }
    #expect(ledger.position(of: AccountRef(.customer, "c1"))?.reserved == Money.zero)
    guard case .refuse(let refusal) = try route(ledger, call: "rec-3", emergency: ["112"]) else {
      Issue.record("a number not on the list was connected without credit")
      return
    }
    #expect(refusal.status == 402)
  }

  @Test func aCustomerAtItsSpendLimitGets402NamingTheLimit() throws {
    let ledger = CreditLedger()
    ledger.load([Self.account(AccountRef(.customer, "c1"), "100", spendLimit: "0.01")])
    #expect(
      try route(ledger) == .refuse(Refusal(status: 402, reason: "24 Hour Spend Limit Reached", kind: .credit))
    )
  }

  @Test func aCustomerWithoutALoadedAccountIsNotConnectedForFree() throws {
    #expect(
      try route(CreditLedger())
        == .refuse(Refusal(status: 503, reason: "Credit Account Unavailable", kind: .credit)))
  }

  @Test func aCustomerAccountInACurrencyWithoutARateIsRefused503() throws {
    let ledger = CreditLedger()
    ledger.load([
      CreditAccount(
        ref: AccountRef(.customer, "c1"), column: .customer, currency: "JPY",
        balance: AccountBalance(amount: Money("1000")!, version: 1), floor: .zero, spendLimit24h: nil)
    ])
    #expect(try route(ledger) == .refuse(Refusal(status: 503, reason: "No Exchange Rate", kind: .credit)))
  }

  @Test func suppliersWithoutCreditAreSkipped() throws {
    let ledger = CreditLedger()
    ledger.load([
      Self.account(AccountRef(.customer, "c1"), "10"),
      // s3 (c3) is prepaid and empty; s2 (c2) is at its 24-hour limit; s4 (c4) is postpaid.
      Self.account(AccountRef(.supplier, "c3"), "0"),
      Self.account(AccountRef(.supplier, "c2"), "0", floor: nil, spendLimit: "0"),
      Self.account(AccountRef(.supplier, "c4"), "0", floor: nil),
    ])
    guard case .route(let call) = try route(ledger) else {
      Issue.record("refused")
      return
    }
    #expect(call.targets.map(\.egress?.serviceID) == ["s4"])
    ledger.load([
      Self.account(AccountRef(.customer, "c1"), "10"),
      Self.account(AccountRef(.supplier, "c3"), "0"), Self.account(AccountRef(.supplier, "c2"), "0"),
      Self.account(AccountRef(.supplier, "c4"), "0"),
    ])
    #expect(try route(ledger, call: "rec-2") == .reject(status: 503, reason: "No Supplier Credit"))
  }
}
