import Billing
import Routing

extension CreditLedger {
  /// Whether `target`'s supplier can pay the first second of the call (a
  /// target without a rated supplier always can).
  func supplierCanCarry(_ target: RouteTarget) -> Bool {
    guard let quote = target.supplierQuote, let egress = target.egress else { return true }
    return supplierCanCarry(CreditParty(account: AccountRef(.supplier, egress.carrierID), quote: quote))
  }

  /// Step 9 of `CallPipeline`: the paying account (the customer carrier's,
  /// or a softphone user's wallet) pays the first billing interval and the
  /// connection fee, counting what its live calls hold; that much is
  /// reserved while the call rings (docs/credit.md). No payer or no quote:
  /// the call is admitted uncharged (an emergency number, an unrated call).
  @inline(__always)
  func admit(call uuid: String, payer: AccountRef?, quote: RateQuote?) throws(Refusal) {
    let party = payer.flatMap { account in quote.map { CreditParty(account: account, quote: $0) } }
    guard let shortage = admit(call: uuid, customer: party) else { return }
    throw payer?.kind == .wallet ? .walletCredit(shortage) : .credit(shortage)
  }
}
