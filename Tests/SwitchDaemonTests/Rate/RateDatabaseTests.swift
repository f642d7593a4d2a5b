import Proxy
import Routing
import Store
import SwitchDaemon
import Testing

/// The rate command's core against the real loader and schema (etc/demo-data.sql).
@Suite(.enabled(if: RateDatabase.isAvailable, "needs DIDTRON_TEST_DATABASE_URL"))
struct RateDatabaseTests {
  static let customerService = "00000000-0000-4000-8000-000000000031"
  static let serviceA = "00000000-0000-4000-8000-000000000032"
  static let serviceB = "00000000-0000-4000-8000-000000000033"
  static let customerPlan = "00000000-0000-4000-8000-000000000051"
  static let supplierPlan = "00000000-0000-4000-8000-000000000052"
  static let cheapPlan = "00000000-0000-4000-8000-000000000053"

  /// Supplier B gets a plan of its own at 0.002/min for '1'; the customer's
  /// plan enforces an absolute margin of 0.006/min: A (0.005) leaves 0.005
  /// and is skipped, B leaves 0.008 and carries the call.
  static let margins = """
    insert into customer_rating_plans (id, short_code, name, currency, initial_interval, recurring_interval)
    values ('\(cheapPlan)', 'P3', 'cheap', 'USD', 1, 1);
    insert into rating_plan_rates (rating_plan_id, prefix, rate_per_minute) values ('\(cheapPlan)', '1', 0.002);
    update carrier_services set rating_plan_id = '\(cheapPlan)' where id = '\(serviceB)';
    update customer_rating_plans set margin_enforcement = 'absolute', min_margin = 0.006
    where id = '\(customerPlan)';
    """

  static func lines(_ priced: PricedCall) -> [String] {
    var output: [UInt8] = []
    RateCSVWriter.append(priced, line: 2, to: &output)
    return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  @Test func pricesAServiceWithItsRoutingPlanSuppliersAndMargins() throws {
    try RateDatabase.withDemo { url in
      try PGConnection(url: url).execute(script: Self.margins)
      let pricer = CallPricer(snapshot: try RateStream.loadSnapshot(databaseURL: url))
      let call = RateCall(
        id: "x", pricing: .service(Self.customerService), number: "15551234567", startUnixMs: 0,
        durationMs: 60_000)
      let priced = try pricer.price(call).get()
      #expect(
        Self.lines(priced) == [
          "2,x,customer,,\(Self.customerService),\(Self.customerPlan),1,,0.010000,0.000000,60,0.010000,USD,,",
          "2,x,supplier,1,\(Self.serviceB),\(Self.cheapPlan),1,,0.002000,0.000000,60,0.002000,USD,0.008000,",
          "2,x,skipped,,\(Self.serviceA),\(Self.supplierPlan),1,,0.005000,0.000000,60,0.005000,USD,0.005000,below_margin",
        ])
      // The rating plan alone gives the customer row of the same call.
      let plan = try pricer.price(
        RateCall(
          pricing: .ratingPlan(Self.customerPlan), number: "15551234567", startUnixMs: 0, durationMs: 60_000)
      ).get()
      #expect(plan.customerCharge == Charge(billableSeconds: 60, amount: Money("0.01")!))
    }
  }

  @Test func aServiceWhoseSuppliersAllBreakTheMarginIsRefusedAsTheSwitchWould() throws {
    try RateDatabase.withDemo { url in
      try PGConnection(url: url).execute(script: Self.margins)
      let pricer = CallPricer(snapshot: try RateStream.loadSnapshot(databaseURL: url))
      // '44': only B, whose new plan has no rate for it: its margin cannot be known.
      let priced = try pricer.price(
        RateCall(
          pricing: .service(Self.customerService), number: "442071234567", startUnixMs: 0, durationMs: 1)
      ).get()
      #expect(Self.lines(priced).first?.contains(",customer,") == true)
      #expect(
        Array(Self.lines(priced).dropFirst()) == [
          "2,,skipped,,\(Self.serviceB),,,,,,,,,,below_margin",
          "2,,refused,,\(Self.customerService),,,,,,,,,,503 No Route Within Margin",
        ])
      let unknown = pricer.price(
        RateCall(
          pricing: .service("00000000-0000-4000-8000-000000000099"), number: "1", startUnixMs: 0,
          durationMs: 1))
      #expect(throws: RateInputError.Problem.self) { try unknown.get() }
    }
  }

  @Test func rerateReportsTheCallsWhosePriceChanged() throws {
    try RateDatabase.withDemo { url in
      let connection = try PGConnection(url: url)
      try connection.execute(
        script: """
          insert into calls (uuid, direction, to_number, status, started_at, answered_at, ended_at, sip_status,
                             rating_plan_id, rate_prefix, currency, cost)
          values ('00000000-0000-4000-8000-0000000000c1', 'inbound', '15551234567', 'completed',
                  '2026-12-07 10:00:00+00', '2026-12-07 10:00:01+00', '2026-12-07 10:01:01.000+00', 200,
                  '\(Self.customerPlan)', '1', 'USD', 0.010000),
                 ('00000000-0000-4000-8000-0000000000c2', 'inbound', '442071234567', 'completed',
                  '2026-12-07 11:00:00+00', '2026-12-07 11:00:01+00', '2026-12-07 11:00:31+00', 200,
                  '\(Self.customerPlan)', '44', 'USD', 0.010000),
                 ('00000000-0000-4000-8000-0000000000c3', 'inbound', '15551234567', 'completed',
                  '2026-12-08 10:00:00+00', '2026-12-08 10:00:01+00', '2026-12-08 10:01:01+00', 200,
                  '\(Self.customerPlan)', '1', 'USD', 0.010000);
          """)
      func differences() throws -> [String] {
        let rerater = Rerater(snapshot: try RateStream.loadSnapshot(databaseURL: url))
        var lines: [String] = []
        try StoredCallRatings().forEach(
          in: PGConnection(url: url), fromUnixMs: ISO8601Instant.unixMs("2026-12-07T00:00:00Z")!,
          toUnixMs: ISO8601Instant.unixMs("2026-12-08T00:00:00Z")!
        ) { lines += rerater.differences($0).map(Rerater.line) }
        return lines
      }
      // As stored: 60 s at 0.010 and 30 s at 0.020.
      #expect(try differences() == [])
      try connection.execute(
        script:
          "update rating_plan_rates set rate_per_minute = 0.012 where rating_plan_id = '\(Self.customerPlan)' and prefix = '1'"
      )
      // c3 is outside the period.
      #expect(
        try differences() == [
          "00000000-0000-4000-8000-0000000000c1,customer,\(Self.customerPlan),1,1,0.010000,0.012000,USD,"
        ])
    }
  }
}
