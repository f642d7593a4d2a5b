import Routing
import Testing

@testable import Billing

/// Money from text ("0.90").
private func m(_ text: String) -> Money { Money(text)! }

private let customerRef = AccountRef(.customer, "c1")
private let supplierRef = AccountRef(.supplier, "s1")

/// 0.60 a minute, per-second billing: 0.01 a second.
private func quote(
  _ rate: String = "0.60", fee: String = "0", increments: BillingIncrements = .perSecond,
  currency: String = "USD"
) -> RateQuote {
  RateQuote(
    ratingPlanID: "p", prefix: "1", currency: currency, ratePerMinute: m(rate), connectionFee: m(fee),
    increments: increments)
}

private func account(
  _ ref: AccountRef = customerRef, balance: String, floor: String? = "0", spendLimit: String? = nil,
  spent: String = "0", version: Int64 = 1, alerts: [CreditAlertRule] = [], credits: Bool = false
) -> CreditAccount {
  CreditAccount(
    ref: ref, column: ref.kind == .supplier ? .supplier : .customer, currency: "USD",
    balance: AccountBalance(amount: m(balance), version: version, spent24h: m(spent)), floor: floor.map(m),
    credits: credits, spendLimit24h: spendLimit.map(m), alerts: alerts)
}

private func ledger(_ accounts: CreditAccount..., step: Int64 = 60) -> CreditLedger {
  let ledger = CreditLedger(configuration: CreditConfiguration(stepSeconds: step))
  ledger.load(accounts)
  return ledger
}

@Suite("Credit ledger: admission")
struct CreditAdmissionTests {
  @Test("a prepaid account is admitted only when it can pay the first interval and the fee")
  func firstInterval() {
    let book = ledger(account(balance: "0.05"))
    // 60/60 billing at 0.60 with a 0.02 fee: the first interval costs 0.62.
    let expensive = CreditParty(
      account: customerRef,
      quote: quote(fee: "0.02", increments: BillingIncrements(initial: 60, recurring: 60)!))
    #expect(book.admit(call: "a", customer: expensive) == .balance)
    // Per second with the fee: 0.01 + 0.02 = 0.03 fits.
    #expect(
      book.admit(call: "b", customer: CreditParty(account: customerRef, quote: quote(fee: "0.02"))) == nil)
    #expect(book.position(of: customerRef)?.reserved == m("0.03"))
    #expect(book.position(of: customerRef)?.available == m("0.02"))
  }

  @Test("live calls' reservations count: the balance is not seen whole by every call")
  func reservationsCount() {
    let book = ledger(account(balance: "0.02"))
    let party = CreditParty(account: customerRef, quote: quote())
    #expect(book.admit(call: "a", customer: party) == nil)
    #expect(book.admit(call: "b", customer: party) == nil)
    #expect(book.admit(call: "c", customer: party) == .balance)
    // A call that fails releases what it held.
    #expect(book.end(call: "a", durationMs: nil, nowUnixMs: 0).isEmpty)
    #expect(book.admit(call: "c", customer: party) == nil)
  }

  @Test("a postpaid account goes down to minus its credit limit")
  func postpaid() {
    let book = ledger(account(balance: "0", floor: "-0.30"))
    let party = CreditParty(account: customerRef, quote: quote())
    #expect(book.admit(call: "a", customer: party) == nil)
    #expect(book.answered(call: "a", supplier: nil).paidSeconds == 30)
    #expect(book.admit(call: "b", customer: party) == .balance)
    let charges = book.end(call: "a", durationMs: 30_000, nowUnixMs: 0)
    #expect(charges.map(\.amount) == [m("0.30")])
    #expect(book.position(of: customerRef)?.available == .zero)
  }

  @Test("unknown accounts and unconvertible currencies are refused; unrated calls pass uncharged")
  func unknowns() {
    let book = ledger(account(balance: "10"))
    #expect(
      book.admit(call: "a", customer: CreditParty(account: AccountRef(.customer, "x"), quote: quote()))
        == .unknownAccount)
    #expect(
      book.admit(call: "b", customer: CreditParty(account: customerRef, quote: quote(currency: "EUR")))
        == .noExchangeRate)
    #expect(book.admit(call: "c", customer: nil) == nil)
    #expect(book.answered(call: "c", supplier: nil).paidSeconds == nil)
    #expect(book.end(call: "c", durationMs: 60_000, nowUnixMs: 0).isEmpty)
    #expect(CreditShortage.balance.refusal.status == 402)
    #expect(CreditShortage.spendLimit.refusal.reason == "24 Hour Spend Limit Reached")
  }

  @Test("a quote in another currency is converted at the exchange rate")
  func conversion() {
    let book = ledger(account(balance: "1.00"))
    // 1 USD = 0.5 EUR: 0.30 EUR a minute is 0.60 USD.
    book.currencies = Currencies(rates: ["USD": Currencies.rateScale, "EUR": Currencies.rateScale / 2])!
    let party = CreditParty(account: customerRef, quote: quote("0.30", currency: "EUR"))
    #expect(book.admit(call: "a", customer: party) == nil)
    #expect(book.answered(call: "a", supplier: nil).paidSeconds == 60)
    let charges = book.end(call: "a", durationMs: 10_000, nowUnixMs: 0)
    #expect(
      charges == [AccountCharge(account: customerRef, column: .customer, amount: m("0.10"), currency: "USD")])
  }
}

@Suite("Credit ledger: steps and cut-off")
struct CreditStepTests {
  @Test("three concurrent calls share money for 90 seconds: paid 60 + 29 + 1, billed exactly the balance")
  func threeCalls() {
    let book = ledger(account(balance: "0.90"))
    let party = CreditParty(account: customerRef, quote: quote())
    for call in ["a", "b", "c"] { #expect(book.admit(call: call, customer: party) == nil) }
    #expect(book.answered(call: "a", supplier: nil) == CreditGrant(paidSeconds: 60, shortage: nil))
    #expect(book.answered(call: "b", supplier: nil) == CreditGrant(paidSeconds: 29, shortage: .balance))
    #expect(book.answered(call: "c", supplier: nil) == CreditGrant(paidSeconds: 1, shortage: .balance))
    #expect(book.position(of: customerRef)?.available == .zero)
    // Nothing more to reserve: each call ends when its paid time runs out.
    #expect(book.extend(call: "a").paidSeconds == 60)
    #expect(book.extend(call: "c").paidSeconds == 1)
    var billed = Money.zero
    for (call, seconds) in [("a", 60), ("b", 29), ("c", 1)] {
      billed =
        billed
        + book.end(call: call, durationMs: Int64(seconds) * 1000, nowUnixMs: 0).reduce(.zero) {
          $0 + $1.amount
        }
    }
    #expect(billed == m("0.90"))
    #expect(book.position(of: customerRef)?.pending == m("0.90"))
    #expect(book.position(of: customerRef)?.reserved == .zero)
  }

  @Test("a call grows step by step while money lasts, then stops at the paid time")
  func steps() {
    let book = ledger(account(balance: "0.50"), step: 20)
    let party = CreditParty(account: customerRef, quote: quote())
    #expect(book.admit(call: "a", customer: party) == nil)
    #expect(book.answered(call: "a", supplier: nil).paidSeconds == 20)
    #expect(book.extend(call: "a").paidSeconds == 40)
    #expect(book.extend(call: "a") == CreditGrant(paidSeconds: 50, shortage: .balance))
    #expect(book.extend(call: "a") == CreditGrant(paidSeconds: 50, shortage: .balance))
    // A top-up (a newer stored balance) lets it go on.
    book.refresh([customerRef: AccountBalance(amount: m("1.50"), version: 2)], nowUnixMs: 0)
    #expect(book.extend(call: "a").paidSeconds == 70)
    #expect(book.end(call: "a", durationMs: 64_200, nowUnixMs: 0).map(\.amount) == [m("0.65")])
  }

  @Test("paid time ends on billing-block boundaries")
  func blocks() {
    let book = ledger(account(balance: "0.90"))
    let party = CreditParty(
      account: customerRef, quote: quote(increments: BillingIncrements(initial: 60, recurring: 60)!))
    #expect(book.admit(call: "a", customer: party) == nil)
    // 0.90 buys one 60 s block, not 90 seconds.
    #expect(book.answered(call: "a", supplier: nil).paidSeconds == 60)
    #expect(book.extend(call: "a").paidSeconds == 60)
    #expect(book.position(of: customerRef)?.reserved == m("0.60"))
    #expect(
      CreditLedger.affordableSeconds(
        quote(increments: BillingIncrements(initial: 30, recurring: 6)!), budget: m("0.41"), target: 600)
        == 36)
  }

  @Test("the supplier's balance limits the call too, and a supplier without money is skipped")
  func supplierSide() {
    let prepaidSupplier = account(supplierRef, balance: "0.20")
    let book = ledger(account(balance: "10"), prepaidSupplier)
    let cost = CreditParty(account: supplierRef, quote: quote("0.30"))
    #expect(book.supplierCanCarry(cost))
    #expect(book.admit(call: "a", customer: CreditParty(account: customerRef, quote: quote())) == nil)
    // 0.20 at 0.30 a minute buys 40 seconds of the supplier.
    #expect(book.answered(call: "a", supplier: cost) == CreditGrant(paidSeconds: 40, shortage: .balance))
    #expect(!book.supplierCanCarry(cost))
    let charges = book.end(call: "a", durationMs: 40_000, nowUnixMs: 0)
    #expect(charges.map(\.account) == [customerRef, supplierRef])
    #expect(charges.map(\.amount) == [m("0.40"), m("0.20")])
    // A postpaid supplier (no floor) is never stopped for money.
    let open = ledger(account(supplierRef, balance: "0", floor: nil))
    #expect(open.supplierCanCarry(cost))
  }

  @Test("a bilateral carrier's supplier side is credited and never stopped")
  func bilateralCredit() {
    let book = ledger(account(supplierRef, balance: "0", floor: nil, credits: true))
    #expect(book.admit(call: "a", customer: nil) == nil)
    #expect(
      book.answered(call: "a", supplier: CreditParty(account: supplierRef, quote: quote())).paidSeconds == nil
    )
    let charges = book.end(call: "a", durationMs: 10_000, nowUnixMs: 0)
    #expect(charges.first?.credits == true)
    #expect(charges.first?.amount == m("0.10"))
  }
}

@Suite("Credit ledger: 24-hour spend")
struct CreditSpendTests {
  @Test("a call that would cross the limit is refused; a live call is cut at it")
  func limit() {
    let book = ledger(account(balance: "100", spendLimit: "0.60", spent: "0.50"))
    let party = CreditParty(account: customerRef, quote: quote())
    #expect(book.admit(call: "a", customer: party) == nil)
    #expect(book.answered(call: "a", supplier: nil) == CreditGrant(paidSeconds: 10, shortage: .spendLimit))
    #expect(book.admit(call: "b", customer: party) == .spendLimit)
    _ = book.end(call: "a", durationMs: 10_000, nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.spent24h == m("0.60"))
    #expect(book.admit(call: "b", customer: party) == .spendLimit)
    // The window rolls on: PostgreSQL's figure drops as old calls leave it.
    book.committed(
      uuids: ["a"],
      balances: [customerRef: AccountBalance(amount: m("99.90"), version: 2, spent24h: m("0.10"))],
      nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.spent24h == m("0.10"))
    #expect(book.admit(call: "b", customer: party) == nil)
  }

  @Test("a supplier at its 24-hour limit is skipped")
  func supplierLimit() {
    let book = ledger(account(supplierRef, balance: "0", floor: nil, spendLimit: "1", spent: "1"))
    #expect(!book.supplierCanCarry(CreditParty(account: supplierRef, quote: quote())))
  }
}

@Suite("Credit ledger: pending charges, balances and other switches")
struct CreditSyncTests {
  @Test("pending charges count until committed; an older stored balance never replaces a newer one")
  func pendingAndVersions() {
    let book = ledger(account(balance: "1.00", version: 5))
    let party = CreditParty(account: customerRef, quote: quote())
    #expect(book.admit(call: "a", customer: party) == nil)
    _ = book.answered(call: "a", supplier: nil)
    _ = book.end(call: "a", durationMs: 30_000, nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.available == m("0.70"))
    // A poll read before the commit (older version) changes nothing.
    book.refresh([customerRef: AccountBalance(amount: m("0.20"), version: 4)], nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.balance == m("1.00"))
    // The writer's commit: no longer pending, the balance is the committed one.
    book.committed(
      uuids: ["a"], balances: [customerRef: AccountBalance(amount: m("0.70"), version: 6)], nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.pending == .zero)
    #expect(book.position(of: customerRef)?.available == m("0.70"))
    // A replay of the same batch changes nothing.
    book.committed(
      uuids: ["a"], balances: [customerRef: AccountBalance(amount: m("0.70"), version: 6)], nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.available == m("0.70"))
  }

  @Test("charges left in the journal by an earlier run count as pending at start")
  func journalled() {
    let book = ledger(account(balance: "1.00"))
    book.addPending(
      uuid: "old",
      charges: [AccountCharge(account: customerRef, column: .customer, amount: m("0.40"), currency: "USD")])
    #expect(book.position(of: customerRef)?.available == m("0.60"))
    book.committed(
      uuids: ["old"], balances: [customerRef: AccountBalance(amount: m("0.60"), version: 2)], nowUnixMs: 0)
    #expect(book.position(of: customerRef)?.available == m("0.60"))
  }

  @Test("what other switches hold is not spent twice; this switch publishes its holds")
  func otherSwitches() {
    let book = ledger(account(balance: "1.00"))
    book.setHeldElsewhere([customerRef: m("0.95")])
    let party = CreditParty(account: customerRef, quote: quote())
    #expect(book.admit(call: "a", customer: party) == nil)
    #expect(book.answered(call: "a", supplier: nil).paidSeconds == 5)
    #expect(book.holds() == [customerRef: m("0.05")])
    _ = book.end(call: "a", durationMs: nil, nowUnixMs: 0)
    #expect(book.holds() == [customerRef: .zero])
    #expect(book.holds().isEmpty)
  }
}

@Suite("Credit ledger: alerts")
struct CreditAlertTests {
  @Test("a low-balance alert fires once per crossing, not once per call, and re-arms on a top-up")
  func lowBalance() {
    let rule = CreditAlertRule(
      id: "al", kind: .lowBalance, threshold: m("0.50"), templateID: "t1", recipients: "[\"ops@example.com\"]"
    )
    let book = ledger(account(balance: "1.00", alerts: [rule]))
    let party = CreditParty(account: customerRef, quote: quote())
    for (index, call) in ["a", "b", "c"].enumerated() {
      #expect(book.admit(call: call, customer: party) == nil)
      _ = book.answered(call: call, supplier: nil)
      _ = book.end(call: call, durationMs: 20_000, nowUnixMs: Int64(index))
    }
    let fired = book.takeAlertChanges()
    #expect(fired.count == 1)
    #expect(fired.first?.change == .fired(value: m("0.40")))
    #expect(fired.first?.rule.recipients == "[\"ops@example.com\"]")
    #expect(fired.first?.atUnixMs == 2)
    // The writer commits the three (0.40 left), then the portal tops up to 5.
    book.committed(
      uuids: ["a", "b", "c"], balances: [customerRef: AccountBalance(amount: m("0.40"), version: 8)],
      nowUnixMs: 9)
    #expect(book.takeAlertChanges().isEmpty)
    book.refresh([customerRef: AccountBalance(amount: m("5"), version: 9)], nowUnixMs: 10)
    #expect(book.takeAlertChanges().map(\.change) == [.rearmed])
    book.refresh([customerRef: AccountBalance(amount: m("0.10"), version: 10)], nowUnixMs: 11)
    #expect(book.takeAlertChanges().map(\.change) == [.fired(value: m("0.10"))])
  }

  @Test("high-balance and 24-hour spend alerts")
  func otherKinds() {
    let high = CreditAlertRule(id: "h", kind: .highBalance, threshold: m("2"))
    let spend = CreditAlertRule(id: "s", kind: .spendBreach, threshold: m("0.30"))
    let book = ledger(account(balance: "1.00", alerts: [high, spend]))
    book.refresh([customerRef: AccountBalance(amount: m("3"), version: 2, spent24h: m("0.30"))], nowUnixMs: 0)
    #expect(Set(book.takeAlertChanges().map(\.rule.id)) == ["h", "s"])
    #expect(book.takeAlertChanges().isEmpty)
  }
}

@Suite("Credit ledger: calls restored after a restart")
struct CreditRestoreTests {
  @Test("a restored call reserves the time it has been up plus a step, on each loaded account")
  func reservesElapsedPlusStep() {
    let book = ledger(account(balance: "10"), account(supplierRef, balance: "10"), step: 20)
    let parties = [
      CreditParty(account: customerRef, quote: quote()),
      CreditParty(account: supplierRef, quote: quote("0.30")),
      CreditParty(account: AccountRef(.customer, "gone"), quote: quote()),
    ]
    let grant = book.restore(call: "r", parties: parties, elapsedMs: 30_500)
    #expect(grant.paidSeconds == 51)
    #expect(book.position(of: customerRef)?.reserved == m("0.51"))
    #expect(book.position(of: supplierRef)?.reserved == m("0.255"))
    #expect(book.parties(call: "r").map(\.account) == [customerRef, supplierRef])
    let charges = book.end(call: "r", durationMs: 40_000, nowUnixMs: 0)
    #expect(charges.map(\.amount) == [m("0.40"), m("0.20")])
    #expect(book.position(of: customerRef)?.reserved == .zero)
  }

  @Test("a restored call whose money ran out while the switch was down is paid only up to the balance")
  func paidUpToTheBalance() {
    let book = ledger(account(balance: "0.10"), step: 20)
    let grant = book.restore(
      call: "r", parties: [CreditParty(account: customerRef, quote: quote())], elapsedMs: 30_000)
    #expect(grant.paidSeconds == 10)
    #expect(grant.shortage == .balance)
    #expect(book.extend(call: "r").paidSeconds == 10)
  }
}

@Suite("Credit ledger: the price at the answer")
struct CreditAnswerPriceTests {
  @Test("the customer's answer-time quote replaces the admitted one: steps, cut-off, charge")
  func answerTimeQuoteReplacesTheAdmittedOne() {
    let book = ledger(account(balance: "0.30"))
    // Admitted at 0.06 a minute (off-peak), answered at 0.60 (peak): 0.30 pays 30 s, not 300.
    #expect(book.admit(call: "a", customer: CreditParty(account: customerRef, quote: quote("0.06"))) == nil)
    #expect(book.answered(call: "a", customer: quote("0.60"), supplier: nil).paidSeconds == 30)
    #expect(book.parties(call: "a").map(\.quote.ratePerMinute) == [m("0.60")])
    #expect(book.end(call: "a", durationMs: 30_000, nowUnixMs: 0).map(\.amount) == [m("0.30")])
  }

  @Test("an answer-time quote that cannot be converted to the account's currency leaves the admitted one")
  func unconvertibleAnswerTimeQuoteKeepsTheAdmittedOne() {
    let book = ledger(account(balance: "0.30"))
    #expect(book.admit(call: "a", customer: CreditParty(account: customerRef, quote: quote("0.06"))) == nil)
    // No exchange rates loaded: an XTS quote cannot be converted to USD.
    #expect(
      book.answered(call: "a", customer: quote("0.60", currency: "XTS"), supplier: nil).paidSeconds == 60)
    #expect(book.parties(call: "a").map(\.quote.currency) == ["USD"])
    #expect(book.parties(call: "a").map(\.quote.ratePerMinute) == [m("0.06")])
  }
}
