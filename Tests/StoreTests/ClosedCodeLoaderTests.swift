import Routing
import Testing

@testable import Store

/// Migration 0015 through the loader: closed codes
/// (`customer_rating_plans.closed_code_fallback`), the least-cost reference
/// call (`routing_plans.lcr_reference_seconds`), and effective dates written
/// with and without a zone (issue 17, rules 6, 7 and 9).
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct ClosedCodeLoaderTests {
  static let customerPlan = RatingLoaderTests.customerPlan
  static let routingPlan = "00000000-0000-4000-8000-000000000041"
  /// 2026-07-01T00:00Z.
  static let july: Int64 = 1_782_864_000_000

  /// The demo customer's 4420 code ends at 2026-07-01T00:00Z.
  static let closedCodeSQL = """
    INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_to)
    VALUES (900101, '\(customerPlan)', '4420', 0.5, '2026-07-01 00:00+00');
    """

  @Test func closedCodesAreRefusedByDefault() throws {
    let data = try RatingLoaderTests.load(Self.closedCodeSQL)
    let plan = try #require(data.ratingPlans.first { $0.id == Self.customerPlan })
    #expect(plan.closedCodeFallback == false)
    #expect(plan.lookup(destination: "442071", atUnixMs: Self.july - 1).quote?.prefix == "4420")
    #expect(plan.lookup(destination: "442071", atUnixMs: Self.july) == .closed(prefix: "4420"))
    #expect(plan.lookup(destination: "443071", atUnixMs: Self.july).quote?.prefix == "44")
  }

  @Test func aPlanMayFallBackOnClosedCodes() throws {
    let data = try RatingLoaderTests.load(
      Self.closedCodeSQL
        + "UPDATE customer_rating_plans SET closed_code_fallback = true WHERE id = '\(Self.customerPlan)';")
    let plan = try #require(data.ratingPlans.first { $0.id == Self.customerPlan })
    #expect(plan.closedCodeFallback)
    #expect(plan.lookup(destination: "442071", atUnixMs: Self.july).quote?.prefix == "44")
  }

  @Test func theReferenceCallIsAMinuteUnlessThePlanSaysOtherwise() throws {
    #expect(try RatingLoaderTests.load().routingPlans.first?.lcrReferenceSeconds == 60)
    let data = try RatingLoaderTests.load("UPDATE routing_plans SET lcr_reference_seconds = 20;")
    #expect(data.routingPlans.first?.lcrReferenceSeconds == 20)
  }

  @Test(arguments: [
    ("0", "lcr_reference_seconds must be positive: 0"),
    ("86401", "lcr_reference_seconds is more than 86400 seconds: 86401"),
  ])
  func aReferenceCallOutOfBoundsFailsTheLoad(value: String, problem: String) throws {
    try ReferenceDataLoaderTests.expectLoadFails(
      afterRunning: "ALTER TABLE routing_plans DROP CONSTRAINT routing_plans_lcr_reference_seconds_check; "
        + "UPDATE routing_plans SET lcr_reference_seconds = \(value)",
      naming: "routing_plans row \(Self.routingPlan): \(problem)")
  }

  @Test(arguments: ["0", "86401", "NULL"])
  func theSchemaRefusesAReferenceCallOutOfBounds(value: String) throws {
    try TestDatabase.with { database in
      try ReferenceDataLoaderTests.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      #expect(throws: PGError.self) {
        try connection.execute(script: "UPDATE routing_plans SET lcr_reference_seconds = \(value)")
      }
    }
  }

  /// Rule 9: an effective date is an instant. Text without a zone lands in
  /// the writing session's TimeZone (New York here: 04:00Z); written with
  /// the plan's zone it is Berlin midnight (22:00Z the day before) whatever
  /// the session's zone. The loader reads instants, whatever its own zone.
  @Test func effectiveDatesAreInstantsWrittenWithTheirZone() throws {
    let data = try RatingLoaderTests.load(
      """
      SET TimeZone = 'America/New_York';
      INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_from) VALUES
        (900111, '\(Self.customerPlan)', '4930', 0.3, '2026-07-01 00:00'),
        (900112, '\(Self.customerPlan)', '4940', 0.4, timestamp '2026-07-01 00:00' AT TIME ZONE 'Europe/Berlin'),
        (900113, '\(Self.customerPlan)', '4950', 0.5, '2026-07-01 00:00 Europe/Berlin');
      """)
    let plan = try #require(data.ratingPlans.first { $0.id == Self.customerPlan })
    let newYorkMidnight = Self.july + 4 * 3_600_000
    let berlinMidnight = Self.july - 2 * 3_600_000
    // Before its instant a code is not open yet: the default ('') prices it.
    #expect(plan.quote(destination: "4930", atUnixMs: newYorkMidnight - 1)?.prefix == "")
    #expect(plan.quote(destination: "4930", atUnixMs: newYorkMidnight)?.prefix == "4930")
    for prefix in ["4940", "4950"] {
      #expect(plan.quote(destination: prefix, atUnixMs: berlinMidnight - 1)?.prefix == "")
      #expect(plan.quote(destination: prefix, atUnixMs: berlinMidnight)?.prefix == prefix)
    }
  }
}
