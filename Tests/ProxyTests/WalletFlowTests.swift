import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Wallets pay for their users' calls (docs/softphones.md "Wallets pay"):
/// an authenticated softphone user's call, routed and rated as its retail
/// ingress service, is admitted, reserved in steps and cut on the user's
/// wallet, exactly as a carrier's call on its customer account; the retail
/// carrier's account is not charged (it is not even loaded here, so a charge
/// to it would be refused `503 Credit Account Unavailable`).
@Suite struct WalletFlowTests {
  typealias H = FlowHarness
  typealias A = CallerAuthenticationFlowTests
  static let wallet = AccountRef(.wallet, "7")

  /// The callers' world with a rating plan on the retail service: 0.60 a
  /// minute (0.01 a second) in 1/1 increments, for 1... and 9... numbers.
  static func snapshot() throws -> Snapshot {
    let retailTrunk = Interconnect(id: "i9", carrierID: "c9", name: "retail", direction: .ingress)
    let supplierTrunk = Interconnect(
      id: "i2", carrierID: "c2", name: "sup", direction: .egress, host: "127.0.0.1", sipPort: 5080)
    let services = [
      CarrierService(
        id: "s9", carrierID: "c9", interconnectID: "i9", name: "retail", direction: .ingress,
        ratingPlanID: "r9",
        routingPlanID: "p1"),
      CarrierService(id: "s2", carrierID: "c2", interconnectID: "i2", name: "out", direction: .egress),
    ]
    let plan = RoutingPlan(
      id: "p1", code: "P", name: "plan",
      entries: ["1", "9"].map { RoutingPlanEntry(prefix: $0, routes: [EgressRoute(carrierServiceID: "s2")]) })
    var rating = try RatingPlan.Builder(id: "r9", name: "retail", currency: "USD", margin: .off)
    for prefix in ["1", "9"] {
      try rating.add(
        prefix: prefix,
        rate: Rate(ratePerMinute: Money("0.60")!, increments: BillingIncrements(initial: 1, recurring: 1)!))
    }
    let carriers = [
      Carrier(id: "c9", code: "RETAIL", name: "Retail", partnerType: .customer, status: .active),
      Carrier(id: "c2", code: "SUP", name: "Supplier", partnerType: .supplier, status: .active),
    ]
    // User 1 pays with wallet 7; user 4 has no wallet.
    let retail = RetailDirectory(
      users: [RetailUser(id: "1", carrierID: "c9", walletID: "7"), RetailUser(id: "4", carrierID: "c9")],
      devices: [
        DeviceRegistration(sipUsername: "1001", sipPassword: "pw1001", userID: "1"),
        DeviceRegistration(sipUsername: "1002", sipPassword: "pw1002", userID: "4"),
      ],
      numbers: [PhoneNumber(id: "11", number: "15550001001", userID: "1", isPrimary: true)])
    return Snapshot(
      carriers: carriers, interconnects: [retailTrunk, supplierTrunk], services: services,
      routingPlans: [plan],
      ratingPlans: [try rating.build()], retail: retail)
  }

  static func harness(
    balance: String, creditLimit: String = "0", step: Int64 = 20, alerts: [CreditAlertRule] = []
  ) throws -> (
    FlowHarness, CreditLedger
  ) {
    let h = FlowHarness(router: CallPipeline(snapshot: try snapshot(), emergencyNumbers: ["911"]))
    let registrar = Registrar(
      configuration: RegistrarConfiguration(
        domains: [A.domain], authentication: .digest(algorithms: [.md5], nonceLifetimeSeconds: 300)),
      nonceSecret: [UInt8](repeating: 7, count: 32))
    registrar.credentials = ["1001": "pw1001", "1002": "pw1002"]
    h.core.registrar = registrar
    let ledger = CreditLedger(configuration: CreditConfiguration(stepSeconds: step, extendLeadMs: 5_000))
    ledger.load([
      CreditAccount(
        ref: wallet, column: .wallet, currency: "USD",
        balance: AccountBalance(amount: Money(balance)!, version: 1),
        floor: Money(micros: -Money(creditLimit)!.micros), alerts: alerts)
    ])
    h.core.credit = ledger
    return (h, ledger)
  }

  /// Authenticated INVITE number `n` of `user` (one nonce, nc = n) to
  /// `number`; returns what the switch sent for it.
  static func call(
    _ h: FlowHarness, nonce: String, n: Int, user: String = "1001", number: String = "15551234"
  ) -> [RecordingSender.Sent] {
    let target = "\(number)@127.0.0.1:5070"
    h.deliver(
      A.invite(
        from: user, to: target, callID: "wc-\(n)", branch: "z9hG4bK-wc-\(n)", cseq: 2,
        extra: [
          A.credentials(
            user: user, password: "pw\(user)", nonce: nonce, nc: "0000000\(n)",
            uri: "sip:\(target)")
        ]),
      from: A.phone)
    return h.sender.take()
  }

  /// Places and answers a call; returns the INVITE the supplier got.
  static func answered(_ h: FlowHarness, nonce: String, n: Int) throws -> SIPMessage {
    let forwarded = try #require(call(h, nonce: nonce, n: n).last { $0.message.method == .invite })
    h.deliver(H.response(to: forwarded.message, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    return forwarded.message
  }

  @Test func aWalletThatCannotPayTheFirstIntervalGets402AndTheCarrierIsNotAsked() throws {
    let (h, ledger) = try Self.harness(balance: "0.005")
    let nonce = try A.challenge(h)
    let refusal = try #require(Self.call(h, nonce: nonce, n: 1).last?.message)
    #expect(refusal.statusCode == 402)
    #expect(refusal.reasonPhrase == "Insufficient Wallet Balance")
    #expect(h.core.counters.invitesForwarded == 0)
    // 0.01 pays the first second: reserved on the wallet while it rings.
    ledger.refresh([Self.wallet: AccountBalance(amount: Money("0.01")!, version: 2)], nowUnixMs: 0)
    #expect(Self.call(h, nonce: nonce, n: 2).contains { $0.message.method == .invite })
    #expect(ledger.position(of: Self.wallet)?.reserved == Money("0.01"))
  }

  @Test func aCreditLimitLetsTheWalletGoBelowZero() throws {
    let (h, ledger) = try Self.harness(balance: "0", creditLimit: "0.05")
    let nonce = try A.challenge(h)
    _ = try Self.answered(h, nonce: nonce, n: 1)
    h.advance(5_000)
    #expect(h.sender.take().filter { $0.message.method == .bye }.count == 2)
    let summary = try #require(h.ended.first)
    #expect(summary.answeredDurationMs == 5_000)
    #expect(
      summary.charges == [
        AccountCharge(account: Self.wallet, column: .wallet, amount: Money("0.05")!, currency: "USD")
      ])
    #expect(ledger.position(of: Self.wallet)?.available == .zero)
  }

  @Test func aUserWithoutAWalletGets402NoWallet() throws {
    let (h, _) = try Self.harness(balance: "10")
    let nonce = try A.challenge(h, from: "1002")
    let refusal = try #require(Self.call(h, nonce: nonce, n: 1, user: "1002").last?.message)
    #expect(refusal.statusCode == 402)
    #expect(refusal.reasonPhrase == "No Wallet")
    #expect(h.core.counters.invitesForwarded == 0)
  }

  @Test func anEmergencyNumberIsNeitherRefusedNorCutNorCharged() throws {
    let (h, ledger) = try Self.harness(balance: "0")
    let nonce = try A.challenge(h)
    #expect(Self.call(h, nonce: nonce, n: 1, number: "911").contains { $0.message.method == .invite })
    #expect(ledger.position(of: Self.wallet)?.reserved == .zero)
    // Even a user without a wallet reaches it.
    let other = try A.challenge(h, from: "1002")
    #expect(
      Self.call(h, nonce: other, n: 2, user: "1002", number: "911").contains { $0.message.method == .invite })
  }

  @Test func theWalletReservesInStepsAndCutsWithByeToBothSides() throws {
    // 0.45 buys 45 s: steps of 20 s reach 40, then 45, then nothing.
    let (h, ledger) = try Self.harness(balance: "0.45")
    let nonce = try A.challenge(h)
    _ = try Self.answered(h, nonce: nonce, n: 1)
    #expect(ledger.position(of: Self.wallet)?.reserved == Money("0.20"))
    h.advance(15_000)  // 5 s before 20 s: the next step
    #expect(ledger.position(of: Self.wallet)?.reserved == Money("0.40"))
    h.advance(20_000)
    #expect(ledger.position(of: Self.wallet)?.reserved == Money("0.45"))
    h.advance(9_999)
    // (The 407's retransmissions go on: the test never ACKs it.)
    #expect(!h.sender.take().contains { $0.message.method == .bye })
    h.advance(1)
    let byes = h.sender.take().filter { $0.message.method == .bye }
    #expect(Set(byes.map(\.destination)) == [H.uas, A.phone])
    #expect(byes.first?.message.headerValues("reason").first?.contains("Credit Exhausted") == true)
    let summary = try #require(h.ended.first)
    #expect(summary.endedBy == "credit")
    #expect(summary.callRecord.userID == "1")
    #expect(summary.callRecord.charges.map(\.account) == [Self.wallet])
    #expect(summary.callRecord.charges.map(\.amount) == [Money("0.45")!])
  }

  @Test func twoCallsShareOneWalletAndTogetherSpendExactlyIt() throws {
    let (h, ledger) = try Self.harness(balance: "0.45")
    let nonce = try A.challenge(h)
    _ = try Self.answered(h, nonce: nonce, n: 1)
    _ = try Self.answered(h, nonce: nonce, n: 2)
    #expect(ledger.position(of: Self.wallet)?.reserved == Money("0.40"))
    // The first is cut at 25 s, the second at 20 s (docs/credit.md).
    h.advance(15_000)
    h.advance(30_000)
    #expect(h.ended.count == 2)
    #expect(h.ended.allSatisfy { $0.endedBy == "credit" })
    let total = h.ended.flatMap(\.charges).reduce(Money.zero) { $0 + $1.amount }
    #expect(total == Money("0.45"))
    #expect(ledger.position(of: Self.wallet)?.reserved == .zero)
    #expect(ledger.position(of: Self.wallet)?.pending == Money("0.45"))
    let refusal = try #require(Self.call(h, nonce: nonce, n: 3).last?.message)
    #expect(refusal.reasonPhrase == "Insufficient Wallet Balance")
  }

  /// Item 6: the call that takes the wallet below its auto-recharge
  /// threshold fires the request once; the next call below it does not.
  @Test func theCallThatCrossesTheAutoRechargeThresholdAsksForARechargeOnce() throws {
    let rule = CreditAlertRule(
      id: CreditAlertRule.walletAutoRecharge, kind: .lowBalance, threshold: Money("0.30")!)
    let (h, ledger) = try Self.harness(balance: "1.00", alerts: [rule])
    let nonce = try A.challenge(h)
    // 0.40, 0.40 (settled 0.20: below 0.30), then 0.10 more (still below).
    for (n, ms) in [(1, Int64(40_000)), (2, 40_000), (3, 10_000)] {
      _ = try Self.answered(h, nonce: nonce, n: n)
      h.advance(ms)
      h.deliver(
        H.inDialog(
          "BYE", callID: "wc-\(n)", branch: "z9hG4bK-wbye-\(n)", fromTag: "ph1", toTag: "uastag",
          via: "SIP/2.0/UDP 198.51.100.20:5090", cseq: 3),
        from: A.phone)
      let bye = try #require(h.sender.take().last { $0.message.method == .bye }).message
      h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
      _ = h.sender.take()
    }
    #expect(h.ended.map(\.charges.first?.amount) == [Money("0.40"), Money("0.40"), Money("0.10")])
    let changes = ledger.takeAlertChanges()
    #expect(changes.count == 1)
    #expect(changes.first?.account == Self.wallet)
    #expect(changes.first?.rule.id == "auto_recharge")
    #expect(changes.first?.change == .fired(value: Money("0.20")!))
  }
}
