import Routing

/// Live credit control for every account the switch charges (docs/credit.md):
/// admission, reservations that grow in steps while calls run, the paid
/// horizon at which a call must end, the charges of ended calls until
/// PostgreSQL has them, and credit alerts.
///
/// Money an account can still spend on calls is
///
///     balance (as stored) − pending − reserved − held by other switches − floor
///
/// where `pending` is what this switch's ended calls owe but PostgreSQL does
/// not show yet (journalled, not committed), `reserved` is what its live
/// calls hold, and the floor is 0 (prepaid) or minus the credit limit
/// (postpaid). The rolling 24-hour spend is the stored figure (committed
/// charges of the last 24 hours) plus the same three terms; a call may not
/// take it past the limit.
///
/// Not thread-safe: it lives on the event loop of the calls it controls.
/// Time is a parameter; it reads no clock.
///
///     let ledger = CreditLedger(configuration: CreditConfiguration(stepSeconds: 60))
///     ledger.load(accounts)
///     switch ledger.admit(call: uuid, customer: party) { ... }  // 402 when it cannot pay
///     let paid = ledger.answered(call: uuid, supplier: supplierParty)  // seconds paid for
///     ...                                                                // before they run out:
///     let more = ledger.extend(call: uuid)                               // same → end the call at `paid`
///     let charges = ledger.end(call: uuid, durationMs: 42_000, nowUnixMs: now)
public final class CreditLedger {
  public let configuration: CreditConfiguration
  /// Exchange rates for quotes priced in another currency than the account's.
  public var currencies: Currencies

  private var accounts: [AccountRef: AccountState] = [:]
  private var calls: [String: CallCredit] = [:]
  /// The accounts each ended call still has pending charges on.
  private var pendingByCall: [String: [AccountRef]] = [:]
  private var alertChanges: [CreditAlertChange] = []
  /// Accounts whose holds were non-zero at the last `holds()`.
  private var lastHeld: Set<AccountRef> = []

  public init(
    configuration: CreditConfiguration = CreditConfiguration(), currencies: Currencies = Currencies()
  ) {
    self.configuration = configuration
    self.currencies = currencies
  }

  // MARK: Accounts

  /// Installs the accounts as loaded (at start and on every reload). Live
  /// reservations and pending charges are kept; a stored balance replaces
  /// the known one unless it is older (lower version). Accounts no longer
  /// loaded are dropped once nothing is held on them.
  public func load(_ loaded: [CreditAccount]) {
    var next: [AccountRef: AccountState] = [:]
    next.reserveCapacity(loaded.count)
    for account in loaded {
      var state = accounts[account.ref] ?? AccountState(terms: account)
      let known = state.terms.balance
      state.terms = account
      if account.balance.version < known.version { state.terms.balance = known }
      next[account.ref] = state
    }
    for (ref, state) in accounts
    where next[ref] == nil && (state.reserved != .zero || state.pendingTotal != .zero) {
      next[ref] = state
    }
    accounts = next
  }

  /// Takes fresher stored balances (a poll, a NOTIFY): each replaces the
  /// known one unless it is older.
  public func refresh(_ balances: [AccountRef: AccountBalance], nowUnixMs: Int64) {
    for (ref, balance) in balances {
      guard var state = accounts[ref], balance.version >= state.terms.balance.version else { continue }
      state.terms.balance = balance
      accounts[ref] = state
      evaluateAlerts(ref, nowUnixMs: nowUnixMs)
    }
  }

  /// The writer committed the records `uuids` (new or already stored) and
  /// reports the balances as it left them: their charges are no longer
  /// pending, and each balance replaces an older one.
  public func committed(uuids: [String], balances: [AccountRef: AccountBalance], nowUnixMs: Int64) {
    var touched = Set(balances.keys)
    for uuid in uuids {
      guard let refs = pendingByCall.removeValue(forKey: uuid) else { continue }
      for ref in refs {
        // In place: a copy of the state would copy its pending table, once per call.
        guard let amount = accounts[ref]?.pending.removeValue(forKey: uuid) else { continue }
        accounts[ref]?.pendingTotal -= amount
        touched.insert(ref)
      }
    }
    for (ref, balance) in balances {
      guard var state = accounts[ref], balance.version > state.terms.balance.version else { continue }
      state.terms.balance = balance
      accounts[ref] = state
    }
    for ref in touched { evaluateAlerts(ref, nowUnixMs: nowUnixMs) }
  }

  /// Charges an earlier run journalled but PostgreSQL may not have yet (at
  /// start, from the journal): pending until the writer reports them.
  public func addPending(uuid: String, charges: [AccountCharge]) {
    for charge in charges { addPending(uuid: uuid, account: charge.account, amount: charge.amount) }
  }

  /// What the other switches sharing the database hold, per account.
  public func setHeldElsewhere(_ holds: [AccountRef: Money]) {
    for ref in accounts.keys {
      accounts[ref]!.othersHeld = holds[ref] ?? .zero
    }
  }

  /// What this switch holds per account (reserved plus pending), for the
  /// other switches: every account with a hold, and those whose hold went
  /// to zero since the last call (as zero).
  public func holds() -> [AccountRef: Money] {
    var result: [AccountRef: Money] = [:]
    for ref in lastHeld { result[ref] = .zero }
    var held: Set<AccountRef> = []
    for (ref, state) in accounts where state.held > .zero {
      result[ref] = state.held
      held.insert(ref)
    }
    lastHeld = held
    return result
  }

  /// Alert changes since the last call, oldest first.
  public func takeAlertChanges() -> [CreditAlertChange] {
    defer { alertChanges.removeAll() }
    return alertChanges
  }

  /// Puts back alert changes that could not be written, ahead of newer ones.
  public func restoreAlertChanges(_ changes: [CreditAlertChange]) {
    alertChanges.insert(contentsOf: changes, at: 0)
  }

  /// An account's figures (tests, logs, metrics).
  public func position(of ref: AccountRef) -> CreditPosition? {
    guard let state = accounts[ref] else { return nil }
    return CreditPosition(
      balance: state.terms.balance.amount, pending: state.pendingTotal, reserved: state.reserved,
      heldElsewhere: state.othersHeld, spent24h: state.spent24h, available: state.available?.money)
  }

  public var accountCount: Int { accounts.count }
  /// Every account loaded, in no order (admin API).
  public var accountRefs: [AccountRef] { Array(accounts.keys) }

  /// What a live call's reservations hold, per account (admin API).
  public func reservations(call uuid: String) -> [(account: AccountRef, amount: Money)] {
    calls[uuid]?.parties.map { ($0.account, $0.reserved) } ?? []
  }
  public var liveCallCount: Int { calls.count }

  // MARK: Calls

  /// A new call charged to `customer`: admitted when the account can pay
  /// the first billing interval plus the connection fee, which is then
  /// reserved while the call rings. No party (an unrated call) is admitted
  /// uncharged.
  public func admit(call uuid: String, customer: CreditParty?) -> CreditShortage? {
    guard let customer else {
      calls[uuid] = CallCredit()
      return nil
    }
    guard let state = accounts[customer.account] else { return .unknownAccount }
    guard let quote = converted(customer.quote, to: state.terms.currency) else { return .noExchangeRate }
    let first = Self.cost(quote, seconds: 1)
    if let available = state.available, available.money < first { return available.limitedBy }
    var credit = CallCredit()
    credit.parties.append(Party(account: customer.account, quote: quote, reserved: first))
    credit.paidSeconds = Int64(quote.increments.initial)
    calls[uuid] = credit
    accounts[customer.account]!.reserved = state.reserved + first
    return nil
  }

  /// Whether a supplier may carry a call priced `quote` now: its account
  /// can pay the first interval and its 24-hour spend limit is not reached.
  /// Suppliers without a loaded account are not stopped.
  public func supplierCanCarry(_ supplier: CreditParty) -> Bool {
    guard let state = accounts[supplier.account], let available = state.available else { return true }
    guard let quote = converted(supplier.quote, to: state.terms.currency) else { return false }
    return available.money >= Self.cost(quote, seconds: 1)
  }

  /// The call was answered (by `supplier`, whose cost accrues from now):
  /// reserves the first step on every party. `customer` is the customer's
  /// price at the answer (docs/rating.md, "Priced at the answer"): it
  /// replaces the quote the call was admitted with, for the steps, the
  /// cut-off and the charge (kept when it cannot be converted to the
  /// account's currency). Returns the seconds from the answer that are
  /// paid for, or nil when no party limits the call.
  public func answered(call uuid: String, customer: RateQuote? = nil, supplier: CreditParty?) -> CreditGrant {
    guard var credit = calls[uuid] else { return CreditGrant(paidSeconds: nil, shortage: nil) }
    credit.answered = true
    // Before the answer the only party is the customer admitted with the call.
    if let customer, let admitted = credit.parties.first, let state = accounts[admitted.account],
      let quote = converted(customer, to: state.terms.currency)
    {
      credit.parties[0].quote = quote
    }
    if let supplier, let state = accounts[supplier.account] {
      if let quote = converted(supplier.quote, to: state.terms.currency) {
        credit.parties.append(Party(account: supplier.account, quote: quote, reserved: .zero))
      } else {
        credit.paidSeconds = 0
        calls[uuid] = credit
        return CreditGrant(paidSeconds: 0, shortage: .noExchangeRate)
      }
    }
    credit.paidSeconds = 0
    calls[uuid] = credit
    return grow(uuid, to: configuration.stepSeconds)
  }

  /// Reserves the next step of an answered call. When the returned paid
  /// time is no longer than before, the call must end when it runs out.
  public func extend(call uuid: String) -> CreditGrant {
    guard let credit = calls[uuid], credit.answered else {
      return CreditGrant(paidSeconds: nil, shortage: nil)
    }
    guard let paid = credit.paidSeconds else { return CreditGrant(paidSeconds: nil, shortage: nil) }
    return grow(uuid, to: paid + configuration.stepSeconds)
  }

  /// The parties of a live call, each with its quote in its account's
  /// currency: what a checkpoint of the call keeps so that `restore` can
  /// charge the same accounts at the same prices after a restart.
  public func parties(call uuid: String) -> [CreditParty] {
    calls[uuid]?.parties.map { CreditParty(account: $0.account, quote: $0.quote) } ?? []
  }

  /// An answered call that an earlier run of the switch carried (restored
  /// from its checkpoint after a crash), up `elapsedMs` since its answer:
  /// each party whose account is loaded reserves the price of the time so
  /// far plus one step. Returns the seconds from the answer paid for (the
  /// call must end at once when that is less than `elapsedMs`), or nil when
  /// no party limits the call.
  public func restore(call uuid: String, parties: [CreditParty], elapsedMs: Int64) -> CreditGrant {
    var credit = CallCredit()
    credit.answered = true
    credit.paidSeconds = 0
    for party in parties where accounts[party.account] != nil {
      credit.parties.append(Party(account: party.account, quote: party.quote, reserved: .zero))
    }
    calls[uuid] = credit
    let elapsedSeconds = (max(0, elapsedMs) + 999) / 1000
    return grow(uuid, to: elapsedSeconds + configuration.stepSeconds)
  }

  /// The seconds paid for so far (nil: not limited, or not a live call).
  public func paidSeconds(call uuid: String) -> Int64? { calls[uuid]?.paidSeconds }

  /// The call ended after `durationMs` from answer to end (nil: never
  /// answered). Its reservations are released and each party's price for
  /// that duration becomes pending until the writer commits it. Returns
  /// the charges to write with the call record.
  public func end(call uuid: String, durationMs: Int64?, nowUnixMs: Int64) -> [AccountCharge] {
    guard let credit = calls.removeValue(forKey: uuid) else { return [] }
    var charges: [AccountCharge] = []
    for party in credit.parties {
      // In place, and no copy of the state kept: addPending below changes
      // its pending table, which a live copy would make a copy of.
      guard accounts[party.account] != nil else { continue }
      accounts[party.account]?.reserved -= party.reserved
      guard let durationMs, credit.answered, let terms = accounts[party.account]?.terms else { continue }
      let amount = party.quote.charge(durationMs: durationMs).amount
      guard amount > .zero else { continue }
      charges.append(
        AccountCharge(
          account: party.account, column: terms.column, amount: amount, currency: terms.currency,
          credits: terms.credits))
      addPending(uuid: uuid, account: party.account, amount: amount)
      evaluateAlerts(party.account, nowUnixMs: nowUnixMs)
    }
    return charges
  }

  // MARK: Reservation steps

  /// Grows every party of `uuid` towards `target` seconds of paid time:
  /// each can pay up to the largest duration whose price fits its account
  /// (rounded up to the end of that billing block); the call gets the
  /// shortest of them, and each party reserves its price for it.
  private func grow(_ uuid: String, to target: Int64) -> CreditGrant {
    guard var credit = calls[uuid] else { return CreditGrant(paidSeconds: nil, shortage: nil) }
    var horizon: Int64? = nil
    var shortage: CreditShortage? = nil
    for party in credit.parties {
      guard let state = accounts[party.account], let available = state.available else { continue }
      let budget = available.money + party.reserved
      let seconds = Self.affordableSeconds(party.quote, budget: budget, target: target)
      if horizon == nil || seconds < horizon! {
        horizon = seconds
        shortage = seconds < target ? available.limitedBy : nil
      }
    }
    guard let horizon else {
      credit.paidSeconds = nil
      calls[uuid] = credit
      return CreditGrant(paidSeconds: nil, shortage: nil)
    }
    let paid = max(horizon, credit.paidSeconds ?? 0)
    for index in credit.parties.indices {
      let party = credit.parties[index]
      let price = paid > 0 ? Self.cost(party.quote, seconds: paid) : .zero
      guard price > party.reserved else { continue }
      credit.parties[index].reserved = price
      accounts[party.account]?.reserved += price - party.reserved
    }
    credit.paidSeconds = paid
    calls[uuid] = credit
    return CreditGrant(paidSeconds: paid, shortage: shortage)
  }

  /// The price of `seconds` of talk time under `quote` (fee included).
  static func cost(_ quote: RateQuote, seconds: Int64) -> Money {
    quote.charge(durationMs: min(seconds, RateQuote.longestChargedMs / 1000) * 1000).amount
  }

  /// The largest duration up to `target` (then rounded up to its billing
  /// block) whose price fits `budget`; 0 when not even the first interval does.
  static func affordableSeconds(_ quote: RateQuote, budget: Money, target: Int64) -> Int64 {
    guard target > 0, cost(quote, seconds: 1) <= budget else { return 0 }
    var low: Int64 = 1
    var high = target
    while low < high {
      let middle = low + (high - low + 1) / 2
      if cost(quote, seconds: middle) <= budget { low = middle } else { high = middle - 1 }
    }
    return quote.increments.billableSeconds(durationMs: low * 1000)
  }

  private func converted(_ quote: RateQuote, to currency: String) -> RateQuote? {
    if quote.currency == currency { return quote }
    guard let rate = currencies.convert(quote.ratePerMinute, from: quote.currency, to: currency),
      let fee = currencies.convert(quote.connectionFee, from: quote.currency, to: currency)
    else { return nil }
    var result = quote
    result.currency = currency
    result.ratePerMinute = rate
    result.connectionFee = fee
    // An exchange rate of extreme ratio can take a quote past what a charge
    // counts exactly: refused like a missing rate.
    return result.isWithinBounds ? result : nil
  }

  private func addPending(uuid: String, account: AccountRef, amount: Money) {
    guard amount > .zero, accounts[account] != nil else { return }
    // In place: a copy of the state would copy its pending table, once per call.
    accounts[account]?.pending[uuid, default: .zero] += amount
    accounts[account]?.pendingTotal += amount
    if pendingByCall[uuid]?.contains(account) != true { pendingByCall[uuid, default: []].append(account) }
  }

  // MARK: Alerts

  /// Fires alerts whose condition began to hold, re-arms those whose
  /// condition cleared: once per crossing, on the settled figures (stored
  /// plus pending, without live reservations).
  private func evaluateAlerts(_ ref: AccountRef, nowUnixMs: Int64) {
    guard var state = accounts[ref], !state.terms.alerts.isEmpty else { return }
    let balance = state.settledBalance
    let spent = state.terms.balance.spent24h + state.pendingTotal
    var changed = false
    for index in state.terms.alerts.indices {
      let rule = state.terms.alerts[index]
      let holds = rule.holds(balance: balance, spent24h: spent)
      if holds && rule.armed {
        state.terms.alerts[index].armed = false
        alertChanges.append(
          CreditAlertChange(
            account: ref, rule: rule, change: .fired(value: rule.kind == .spendBreach ? spent : balance),
            currency: state.terms.currency, atUnixMs: nowUnixMs))
        changed = true
      } else if !holds && !rule.armed {
        state.terms.alerts[index].armed = true
        alertChanges.append(
          CreditAlertChange(
            account: ref, rule: rule, change: .rearmed, currency: state.terms.currency, atUnixMs: nowUnixMs))
        changed = true
      }
    }
    if changed { accounts[ref] = state }
  }

  // MARK: State

  private struct AccountState {
    var terms: CreditAccount
    var pending: [String: Money] = [:]
    var pendingTotal = Money.zero
    var reserved = Money.zero
    var othersHeld = Money.zero

    init(terms: CreditAccount) { self.terms = terms }

    /// What this switch holds: reserved plus pending.
    var held: Money { pendingTotal + reserved }

    var spent24h: Money { terms.balance.spent24h + pendingTotal + reserved + othersHeld }

    /// The balance once pending charges are applied.
    var settledBalance: Money {
      terms.credits ? terms.balance.amount + pendingTotal : terms.balance.amount - pendingTotal
    }

    /// What calls may still take, and which limit binds; nil when neither does.
    var available: (money: Money, limitedBy: CreditShortage)? {
      var result: (money: Money, limitedBy: CreditShortage)?
      if let floor = terms.floor, !terms.credits {
        result = (terms.balance.amount - pendingTotal - reserved - othersHeld - floor, .balance)
      }
      if let limit = terms.spendLimit24h {
        let left = limit - spent24h
        if result == nil || left < result!.money { result = (left, .spendLimit) }
      }
      return result
    }
  }

  private struct Party {
    var account: AccountRef
    /// The quote in the account's currency.
    var quote: RateQuote
    var reserved: Money
  }

  private struct CallCredit {
    var parties: [Party] = []
    var answered = false
    /// Seconds from the answer paid for (before the answer: the first interval); nil = not limited.
    var paidSeconds: Int64?
  }
}

/// The result of a reservation step.
public struct CreditGrant: Sendable, Equatable {
  /// Seconds from the answer that are paid for; nil when nothing limits the call.
  public var paidSeconds: Int64?
  /// What stopped the step short of its target, if anything did.
  public var shortage: CreditShortage?

  public init(paidSeconds: Int64?, shortage: CreditShortage?) {
    self.paidSeconds = paidSeconds
    self.shortage = shortage
  }
}

/// One account's figures as the ledger sees them.
public struct CreditPosition: Sendable, Equatable {
  public var balance: Money
  public var pending: Money
  public var reserved: Money
  public var heldElsewhere: Money
  /// Stored 24-hour spend plus pending, reserved and held elsewhere.
  public var spent24h: Money
  /// What calls may still take (nil: no limit applies).
  public var available: Money?
}
