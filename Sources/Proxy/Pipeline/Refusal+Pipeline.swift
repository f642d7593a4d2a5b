import Billing
import Policy

/// Every refusal the call pipeline gives, with its status: the rules in
/// `CallPipeline`'s steps throw these, so the pipeline itself names no status.
/// Listed in the order the steps run.
extension Refusal {
  /// 1. Ingress identification refused the source (403 Unknown Interconnect, ...).
  static func ingress(status: Int, reason: String) -> Refusal { Refusal(status: status, reason: reason) }

  /// 2. A validation check failed (403 naming the check).
  static func validation(_ failure: ValidationFailure) -> Refusal {
    Refusal(status: 403, reason: failure.reason)
  }

  /// 2. An operator drained the ingress interconnect or service (admin API):
  ///    503 with no Retry-After (which would take the whole switch out of
  ///    the caller's routes, RFC 3261 §21.5.4), so the caller tries elsewhere.
  static let drained = Refusal(status: 503, reason: "Interconnect Drained")

  /// 3. A CPS token bucket was empty: `status` is configured, Retry-After says
  ///    when the next token comes.
  static func callRate(_ entity: LimitedEntity, status: Int, retryAfterSeconds: Int) -> Refusal {
    Refusal(
      status: status, reason: "\(entity.rawValue) CPS Limit Exceeded",
      headers: [HeaderField("Retry-After", "\(retryAfterSeconds)")], kind: .callRate)
  }

  /// 3. A capped carrier, interconnect or service is full.
  static func capacity(_ entity: LimitedEntity, status: Int, retryAfterSeconds: Int) -> Refusal {
    Refusal(
      status: status, reason: "\(entity.rawValue) At Capacity",
      headers: [HeaderField("Retry-After", "\(retryAfterSeconds)")], kind: .capacity)
  }

  /// 4. The caller requires 100rel, which the interconnect does not allow (RFC 3261 §8.2.2.3).
  static let reliableProvisionalUnsupported = Refusal(
    status: 420, reason: "Bad Extension", headers: [HeaderField("Unsupported", "100rel")])

  /// 4. The offered session interval is below the interconnect's minimum (RFC 4028 §6).
  static func sessionIntervalTooSmall(minSE: Int) -> Refusal {
    Refusal(status: 422, reason: "Session Interval Too Small", headers: [HeaderField("Min-SE", "\(minSE)")])
  }

  /// 5. The caller number is missing or not allowed (translation settings).
  static func caller(reason: String) -> Refusal { Refusal(status: 403, reason: reason) }

  /// 6. No codec of the offer is allowed by the ingress interconnect.
  static func noCommonCodec(reason: String) -> Refusal { Refusal(status: 488, reason: reason) }

  /// 7. The ingress service has no routing plan (or it is not loaded).
  static let noRoutingPlan = Refusal(status: 403, reason: "No Routing Plan")
  /// 7. No prefix of the routing plan matches the called number.
  static let noRoute = Refusal(status: 404, reason: "No Route")
  /// 7. The ingress service is rated but its plan has no price for the number.
  static let noCustomerRate = Refusal(status: 403, reason: "No Customer Rate")
  /// 7. The customer's longest matching code has rates, none in force now
  ///    (end-dated, or not for this time class), and the plan does not fall
  ///    back to shorter prefixes (docs/rating.md, closed codes).
  static let closedCode = Refusal(status: 403, reason: "Closed Code")

  /// 8. No target is left; the most telling reason wins, in this order.
  static let noSupplierCodec = noCommonCodec(reason: "No Common Codec")
  static let noSupplierCredit = Refusal(status: 503, reason: "No Supplier Credit")
  static let noRouteWithinMargin = Refusal(status: 503, reason: "No Route Within Margin")
  static let supplierCodeClosed = Refusal(status: 503, reason: "Supplier Code Closed")
  static let noAssignedRoute = Refusal(status: 403, reason: "No Assigned Route")
  static let noAvailableRoute = Refusal(status: 503, reason: "No Available Route")
  /// A softphone user's plan allows no more calls this month (docs/softphones.md).
  static let monthlyCallLimit = Refusal(status: 403, reason: "Monthly Call Limit Reached")

  /// 9. The customer's account cannot pay the first interval (docs/credit.md).
  static func credit(_ shortage: CreditShortage) -> Refusal {
    Refusal(status: shortage.refusal.status, reason: shortage.refusal.reason, kind: .credit)
  }

  /// 9. A softphone user's wallet cannot pay the first interval
  ///    (docs/softphones.md "Wallets pay").
  static func walletCredit(_ shortage: CreditShortage) -> Refusal {
    switch shortage {
    case .balance: Refusal(status: 402, reason: "Insufficient Wallet Balance", kind: .credit)
    case .unknownAccount: Refusal(status: 503, reason: "Wallet Unavailable", kind: .credit)
    case .spendLimit, .noExchangeRate: credit(shortage)
    }
  }

  /// 9. A softphone user without a `wallets` row: never a free call.
  static let noWallet = Refusal(status: 402, reason: "No Wallet", kind: .credit)
}
