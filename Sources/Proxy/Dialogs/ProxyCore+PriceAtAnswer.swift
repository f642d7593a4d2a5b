import Routing

extension ProxyCore {
  /// `quote` (a price fixed when the call was routed) as its rating plan
  /// prices `number` at the answer instant `unixMs`, in the reference data
  /// current at the answer (docs/rating.md, "Priced at the answer"). When
  /// the plan no longer has a rate in force for the number (the code closed
  /// or the plan went between the INVITE and the 2xx), the routed price is
  /// kept: the call was admitted and its route chosen at it.
  func priceAtAnswer(_ quote: RateQuote?, number: String?, unixMs: Int64) -> RateQuote? {
    guard let quote, let number else { return quote }
    return router.requote(quote, number: number, atUnixMs: unixMs) ?? quote
  }
}
