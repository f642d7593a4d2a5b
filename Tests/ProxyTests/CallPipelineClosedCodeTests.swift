import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Closed codes (issue 17, rule 6) and least cost by a reference call
/// (rule 7) in the pipeline, on `CallPipelineRatingTests.World`: the call
/// starts at 1_790_000_000_000 (2026-09-21T14:13:20Z).
@Suite struct CallPipelineClosedCodeTests {
  static let callMs: Int64 = 1_790_000_000_000
  let rating = CallPipelineRatingTests()

  /// A 60/60 plan from rows (prefix, rate, fee, end), in prefix order.
  static func plan(
    _ id: String, _ currency: String, fallback: Bool = false, increments: (Int, Int) = (60, 60),
    _ rows: [(String, String, String, Int64)]
  ) throws -> RatingPlan {
    var builder = try RatingPlan.Builder(id: id, name: id, currency: currency, closedCodeFallback: fallback)
    for (prefix, rate, fee, end) in rows {
      try builder.add(
        prefix: prefix,
        rate: Rate(
          ratePerMinute: Money(rate)!, connectionFee: Money(fee)!,
          increments: BillingIncrements(initial: increments.0, recurring: increments.1)!, effectiveToMs: end))
    }
    return try builder.build()
  }

  /// The customer's 4420 code ended an hour before the call.
  static func customerWithClosedCode(fallback: Bool) throws -> RatingPlan {
    try plan(
      "r1", "USD", fallback: fallback,
      [("44", "0.020", "0", .max), ("4420", "0.100", "0", callMs - 3_600_000)])
  }

  @Test func aClosedCustomerCodeIs403ClosedCode() throws {
    let world = CallPipelineRatingTests.World(ratingPlans: [
      "r1": try Self.customerWithClosedCode(fallback: false)
    ])
    #expect(try rating.route(world) == .reject(status: 403, reason: "Closed Code"))
    // A number beside the closed code is priced at 44.
    guard case .route(let call) = try rating.route(world, user: "4430") else {
      Issue.record("4430 not routed")
      return
    }
    #expect(call.customerQuote?.prefix == "44")
  }

  @Test func aPlanThatFallsBackPricesAClosedCodeAtTheShorterPrefix() throws {
    let world = CallPipelineRatingTests.World(ratingPlans: [
      "r1": try Self.customerWithClosedCode(fallback: true)
    ])
    guard case .route(let call) = try rating.route(world) else {
      Issue.record("not routed")
      return
    }
    #expect(call.customerQuote?.prefix == "44")
    #expect(call.customerQuote?.ratePerMinute == Money("0.020"))
  }

  @Test func aSupplierThatClosedTheCodeIsSkipped() throws {
    // s3 (the cheapest) closed 44 at its cost plan; its "4" would still price it.
    let world = CallPipelineRatingTests.World(ratingPlans: [
      "r3": try Self.plan("r3", "EUR", [("4", "0.008", "0", .max), ("44", "0.001", "0", Self.callMs)])
    ])
    #expect(try rating.services(rating.route(world)) == ["s2", "s4"])
    // With its plan falling back, s3 is priced at "4" and first again.
    let falling = CallPipelineRatingTests.World(ratingPlans: [
      "r3": try Self.plan(
        "r3", "EUR", fallback: true, [("4", "0.008", "0", .max), ("44", "0.001", "0", Self.callMs)])
    ])
    #expect(try rating.services(rating.route(falling)) == ["s3", "s2", "s4"])
  }

  @Test func everySupplierClosedIs503SupplierCodeClosed() throws {
    let closed = { (id: String, currency: String) in
      try Self.plan(id, currency, [("44", "0.010", "0", Self.callMs)])
    }
    let world = CallPipelineRatingTests.World(ratingPlans: [
      "r2": try closed("r2", "USD"), "r3": try closed("r3", "EUR"), "r4": try closed("r4", "USD"),
    ])
    #expect(try rating.route(world) == .reject(status: 503, reason: "Supplier Code Closed"))
  }

  @Test func aClosedSupplierCountsBeforeTheMarginIsChecked() throws {
    // s3 closed; s2 and s4 below an absolute margin of 0.011: the margin is the reason.
    let world = CallPipelineRatingTests.World(
      margin: .absolute(Money("0.011")!),
      ratingPlans: ["r3": try Self.plan("r3", "EUR", [("44", "0.001", "0", Self.callMs)])])
    #expect(try rating.route(world) == .reject(status: 503, reason: "No Route Within Margin"))
  }

  /// The rate command's entry points (`Snapshot.customerQuote`,
  /// `routePricing`) give what the pipeline gives: 403 Closed Code for the
  /// customer, a supplier that closed the code skipped as `closed_code`,
  /// and 503 Supplier Code Closed when every supplier did.
  @Test func theRateCommandsEntryPointsAgreeOnClosedCodes() throws {
    let customer = try CallPipelineRatingTests.World(ratingPlans: [
      "r1": try Self.customerWithClosedCode(fallback: false)
    ]).snapshot()
    #expect(throws: Refusal.closedCode) {
      try customer.customerQuote(ratingPlanID: "r1", number: "4420", atUnixMs: Self.callMs)
    }
    #expect(
      try customer.customerQuote(ratingPlanID: "r1", number: "4430", atUnixMs: Self.callMs)?.prefix == "44")
    let oneClosed = try CallPipelineRatingTests.World(ratingPlans: [
      "r3": try Self.plan("r3", "EUR", [("4", "0.008", "0", .max), ("44", "0.001", "0", Self.callMs)])
    ]).snapshot()
    let pricing = try #require(
      try oneClosed.routePricing(serviceID: "s1", number: "4420", atUnixMs: Self.callMs))
    #expect(pricing.suppliers.map(\.serviceID) == ["s2", "s4"])
    #expect(pricing.skipped.map(\.serviceID) == ["s3"] && pricing.skipped.first?.reason == .closedCode)
    let closed = { (id: String, currency: String) in
      try Self.plan(id, currency, [("44", "0.010", "0", Self.callMs)])
    }
    let allClosed = try CallPipelineRatingTests.World(ratingPlans: [
      "r2": try closed("r2", "USD"), "r3": try closed("r3", "EUR"), "r4": try closed("r4", "USD"),
    ]).snapshot()
    let none = try #require(
      try allClosed.routePricing(serviceID: "s1", number: "4420", atUnixMs: Self.callMs))
    #expect(none.refusal == .supplierCodeClosed && none.suppliers.isEmpty)
  }

  // MARK: Least cost by a reference call

  /// s3's 0.008 EUR (0.0087 USD) is the cheapest rate per minute; with a
  /// 0.005 EUR fee its 60 s call costs 0.013 EUR = 0.01413 USD: after s2
  /// (0.010), before s4 (0.015). At 300 s: 0.045 EUR = 0.0489 USD, first.
  @Test(arguments: [(60, ["s2", "s3", "s4"]), (300, ["s3", "s2", "s4"])])
  func aConnectionFeeCountsAtTheReferenceDuration(seconds: Int, expected: [String]) throws {
    let world = CallPipelineRatingTests.World(
      ratingPlans: ["r3": try Self.plan("r3", "EUR", [("4", "0.008", "0.005", .max)])],
      lcrReferenceSeconds: seconds)
    #expect(try rating.services(rating.route(world)) == expected.map { Optional($0) })
  }

  /// s3 at 0.008 EUR on 90/30 bills a 60 s call as 90 s: 0.012 EUR = 0.01304
  /// USD, after s2's 0.010 on 60/60. At a 90 s reference s2 bills 120 s
  /// (0.020) and s3 0.012 EUR: s3 first.
  @Test(arguments: [(60, ["s2", "s3", "s4"]), (90, ["s3", "s2", "s4"])])
  func billingIncrementsCountAtTheReferenceDuration(seconds: Int, expected: [String]) throws {
    let world = CallPipelineRatingTests.World(
      ratingPlans: ["r3": try Self.plan("r3", "EUR", increments: (90, 30), [("4", "0.008", "0", .max)])],
      lcrReferenceSeconds: seconds)
    #expect(try rating.services(rating.route(world)) == expected.map { Optional($0) })
  }
}
