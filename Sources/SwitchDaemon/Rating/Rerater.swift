import Proxy
import Routing
import Store

/// `didtron-switch rate --rerate`: prices stored calls again with today's
/// snapshot (the plan each side was priced on, the number as routed, the
/// call's answer (its start when unanswered), its duration_ms) and reports the sides whose amount
/// differs, as CSV: what a billing team runs after fixing a rate sheet.
public struct Rerater: Sendable {
  public static let header =
    "call_uuid,side,rating_plan,stored_prefix,new_prefix,stored_amount,new_amount,currency,note"

  public let snapshot: Snapshot

  public init(snapshot: Snapshot) { self.snapshot = snapshot }

  /// One side whose price differs.
  public struct Difference: Sendable, Equatable {
    public var uuid: String
    /// `customer` or `supplier`.
    public var side: String
    public var ratingPlanID: String
    public var storedPrefix: String?
    public var newPrefix: String?
    public var storedAmount: Money?
    public var newAmount: Money?
    /// The new price's currency (the stored one when there is none).
    public var currency: String?
    /// Empty, `no_rate` (the plan has no rate for the call now) or
    /// `plan_not_loaded`.
    public var note: String
  }

  /// The sides of `call` whose price differs from what is stored.
  public func differences(_ call: StoredCallRating) -> [Difference] {
    var found: [Difference] = []
    for (name, side) in [("customer", call.customer), ("supplier", call.supplier)] {
      guard let side else { continue }
      var difference = Difference(
        uuid: call.uuid, side: name, ratingPlanID: side.ratingPlanID, storedPrefix: side.prefix,
        storedAmount: side.amount, currency: side.currency, note: "")
      if snapshot.ratingPlans[side.ratingPlanID] == nil {
        difference.note = "plan_not_loaded"
      } else if let quote = snapshot.ratingQuote(
        ratingPlanID: side.ratingPlanID, number: call.number, atUnixMs: call.pricedUnixMs)
      {
        let amount = quote.charge(durationMs: call.answeredDurationMs).amount
        if amount == side.amount && quote.currency == side.currency { continue }
        difference.newPrefix = quote.prefix
        difference.newAmount = amount
        difference.currency = quote.currency
      } else {
        difference.note = "no_rate"
      }
      found.append(difference)
    }
    return found
  }

  public static func line(_ difference: Difference) -> String {
    let fields: [String] = [
      difference.uuid, difference.side, difference.ratingPlanID, difference.storedPrefix ?? "",
      difference.newPrefix ?? "", difference.storedAmount.map { "\($0)" } ?? "",
      difference.newAmount.map { "\($0)" } ?? "", difference.currency ?? "", difference.note,
    ]
    return fields.joined(separator: ",")
  }
}
