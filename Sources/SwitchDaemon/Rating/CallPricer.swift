import Proxy
import Routing

/// The rate command's core: prices `RateCall`s against a snapshot with the
/// call pipeline's own code (`Snapshot.ratingQuote`, `Snapshot.routePricing`,
/// `RateQuote.charge`, `CallRating.charges`), so a call priced here costs
/// what the switch would charge for it.
public struct CallPricer: Sendable {
  public let snapshot: Snapshot
  /// Seeds weighted route order (the order printed for `weight` entries is
  /// the one a call with this seed would get).
  public var randomSeed: UInt64

  public init(snapshot: Snapshot, randomSeed: UInt64 = 0) {
    self.snapshot = snapshot
    self.randomSeed = randomSeed
  }

  /// The call's prices, or why it cannot be priced at all (a plan or
  /// service that is not loaded). A refusal the switch would give (no rate,
  /// no route) is a result, not an error.
  public func price(_ call: RateCall) -> Result<PricedCall, RateInputError.Problem> {
    switch call.pricing {
    case .ratingPlan(let planID):
      do {
        guard
          let quote = try snapshot.customerQuote(
            ratingPlanID: planID, number: call.number, atUnixMs: call.startUnixMs)
        else { return .failure(.init(field: "plan", text: "rating plan \(planID) is not loaded")) }
        return .success(PricedCall(call: call, outcome: .rated(customer: quote, route: nil)))
      } catch {
        return .success(PricedCall(call: call, outcome: .refused(status: error.status, reason: error.reason)))
      }
    case .service(let serviceID):
      do {
        guard
          let route = try snapshot.routePricing(
            serviceID: serviceID, number: call.number, atUnixMs: call.startUnixMs, randomSeed: randomSeed)
        else { return .failure(.init(field: "service", text: "carrier service \(serviceID) is not loaded")) }
        return .success(PricedCall(call: call, outcome: .rated(customer: route.customerQuote, route: route)))
      } catch {
        return .success(PricedCall(call: call, outcome: .refused(status: error.status, reason: error.reason)))
      }
    }
  }
}

/// A priced call: the customer's quote and, for a service, the route's
/// suppliers; or the refusal the switch would answer the call with.
public struct PricedCall: Sendable {
  public enum Outcome: Sendable {
    /// `customer` nil: the service is not rated.
    case rated(customer: RateQuote?, route: RoutePricing?)
    case refused(status: Int, reason: String)
  }

  public var call: RateCall
  public var outcome: Outcome

  /// What the customer pays for the call (nil: refused or not rated).
  public var customerCharge: Charge? {
    guard case .rated(let customer?, _) = outcome else { return nil }
    return customer.charge(durationMs: call.durationMs)
  }
}
