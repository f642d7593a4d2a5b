import Billing
import Routing

extension CreditLedger {
  /// Whether `target`'s supplier can pay the first second of the call (a
  /// target without a rated supplier always can).
  func supplierCanCarry(_ target: RouteTarget) -> Bool {
    guard let quote = target.supplierQuote, let egress = target.egress else { return true }
    return supplierCanCarry(CreditParty(account: AccountRef(.supplier, egress.carrierID), quote: quote))
  }

  /// Step 9 of `CallPipeline`: the customer's account pays the first billing
  /// interval and the connection fee, counting what its live calls hold;
  /// that much is reserved while the call rings (docs/credit.md).
  @inline(__always)
  func admit(call uuid: String, customer carrierID: String, quote: RateQuote?) throws(Refusal) {
    let party = quote.map { CreditParty(account: AccountRef(.customer, carrierID), quote: $0) }
    if let shortage = admit(call: uuid, customer: party) { throw .credit(shortage) }
  }
}
