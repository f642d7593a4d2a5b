import Policy
import Routing
import Testing

@testable import Store

/// Rating plans, currencies, carrier assignments and route order through the
/// loader, against the real schema with etc/demo-data.sql in it.
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct RatingLoaderTests {
  static let customerPlan = "00000000-0000-4000-8000-000000000051"
  static let supplierPlan = "00000000-0000-4000-8000-000000000052"
  static let berlinPlan = "00000000-0000-4000-8000-000000000061"
  static let demoCustomer = "00000000-0000-4000-8000-000000000001"
  static let demoSupplier = "00000000-0000-4000-8000-000000000002"

  /// Loads the demo data, runs `sql`, and returns the reference data.
  static func load(_ sql: String = "", batchSize: Int = 50_000) throws -> ReferenceData {
    try TestDatabase.with { database in
      try ReferenceDataLoaderTests.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      if !sql.isEmpty { try connection.execute(script: sql) }
      var loader = ReferenceDataLoader()
      loader.batchSize = batchSize
      return try loader.load(from: connection)
    }
  }

  @Test func theDemoDataLoadsWithRatingPlansCurrenciesAndNoAssignments() throws {
    let data = try Self.load()
    #expect(data.ratingPlans.map(\.id) == [Self.customerPlan, Self.supplierPlan])
    let customer = try #require(data.ratingPlans.first)
    #expect(customer.currency == "USD")
    #expect(customer.margin == .off)
    #expect(customer.timeZone == .utc)
    #expect(customer.prefixCount == 3)
    #expect(customer.rateCount == 3)
    let uk = try #require(customer.quote(destination: "+442071234567", atUnixMs: 0))
    #expect(uk.prefix == "44")
    #expect(uk.ratePerMinute == Money("0.02"))
    #expect(uk.increments == BillingIncrements(initial: 30, recurring: 6))
    #expect(uk.currency == "USD")
    #expect(customer.quote(destination: "15551234", atUnixMs: 0)?.increments == .perSecond)
    #expect(customer.quote(destination: "3312", atUnixMs: 0)?.prefix == "")
    #expect(data.ratingPlans[1].quote(destination: "15551234", atUnixMs: 0)?.ratePerMinute == Money("0.005"))
    #expect(
      data.currencies.rates == ["USD": 10_000_000_000, "EUR": 9_200_000_000, "GBP": 7_900_000_000])
    #expect(data.assignments == CarrierAssignments())
    #expect(data.routingPlans.first?.order == .priority)
    #expect(data.carriers.allSatisfy { $0.categoryID == nil && $0.groupID == nil })
  }

  @Test func routeOrderOnPlansAndEntries() throws {
    let data = try Self.load(
      """
      UPDATE routing_plans SET route_order = 'lcr';
      UPDATE routing_plan_entries SET route_order = 'weight' WHERE prefix = '44';
      """)
    let plan = try #require(data.routingPlans.first)
    #expect(plan.order == .lcr)
    let uk = try #require(plan.lookup(destination: "4420"))
    #expect(uk.order == .weight)
    #expect(plan.order(for: uk) == .weight)
    let us = try #require(plan.lookup(destination: "1555"))
    #expect(us.order == nil)
    #expect(plan.order(for: us) == .lcr)
  }

  @Test func carrierCategoriesGroupsAndAssignments() throws {
    let category = "00000000-0000-4000-8000-0000000000c1"
    let group = "00000000-0000-4000-8000-0000000000c2"
    let data = try Self.load(
      """
      INSERT INTO customer_categories (id, name, code) VALUES ('\(category)', 'Wholesale', 'WHOLESALE');
      INSERT INTO customer_groups (id, category_id, name, code) VALUES ('\(group)', '\(category)', 'Gold', 'GOLD');
      UPDATE carriers SET customer_category_id = '\(category)', customer_group_id = '\(group)'
        WHERE id = '\(Self.demoCustomer)';
      INSERT INTO carrier_assignments (carrier_id, assignment_type, category_ids, group_ids, customer_ids) VALUES
        ('\(Self.demoSupplier)', 'categories', '["\(category.uppercased())"]', '["ignored"]', '[]'),
        ('\(Self.demoSupplier)', 'customers', '[]', '[]', '["c-1", "c-2"]');
      """)
    let customer = try #require(data.carriers.first { $0.id == Self.demoCustomer })
    #expect(customer.categoryID == category)
    #expect(customer.groupID == group)
    let rows = try #require(data.assignments.bySupplier[Self.demoSupplier])
    #expect(rows.count == 2)
    #expect(rows.contains(.categories([category])))
    #expect(rows.contains(.customers(["c-1", "c-2"])))
    #expect(
      data.assignments.allows(
        supplierCarrierID: Self.demoSupplier,
        customer: .init(carrierID: customer.id, categoryID: customer.categoryID, groupID: customer.groupID)))
    #expect(
      !data.assignments.allows(
        supplierCarrierID: Self.demoSupplier, customer: .init(carrierID: "c-3", groupID: group)))
    #expect(data.assignments.allows(supplierCarrierID: Self.demoSupplier, customer: .init(carrierID: "c-2")))
  }

  static let berlinPlanSQL = """
    INSERT INTO customer_rating_plans (id, short_code, name, currency, time_zone, margin_enforcement, min_margin,
      initial_interval, recurring_interval, period_exception_template)
      VALUES ('\(berlinPlan)', 'DE', 'Berlin prices', 'EUR', 'Europe/Berlin', 'percent', 10, 60, 60, 'DE');
    INSERT INTO rating_plan_time_classes (id, rating_plan_id, name, days, start_time, end_time) VALUES
      ('00000000-0000-4000-8000-000000000071', '\(berlinPlan)', 'peak', '{1,2,3,4,5}', '08:00', '20:00'),
      ('00000000-0000-4000-8000-000000000072', '\(berlinPlan)', 'offpeak', '{1,2,3,4,5}', '00:00', '08:00'),
      ('00000000-0000-4000-8000-000000000073', '\(berlinPlan)', 'offpeak', '{1,2,3,4,5}', '20:00', '24:00'),
      ('00000000-0000-4000-8000-000000000074', '\(berlinPlan)', 'weekend', '{6,7}', '00:00', '24:00');
    INSERT INTO rating_period_exceptions (template, exception_date, time_class, name) VALUES
      ('DE', '2026-12-25', 'weekend', 'Christmas Day'),
      ('XX', '2026-03-04', 'weekend', 'another template');
    INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, connection_fee, initial_interval,
      recurring_interval, effective_from, effective_to, time_class) VALUES
      (800001, '\(berlinPlan)', '49', 0.05, 0, NULL, NULL, '-infinity', '2026-07-01 00:00 Europe/Berlin', NULL),
      (800002, '\(berlinPlan)', '49', 0.04, 0, NULL, NULL, '2026-07-01 00:00 Europe/Berlin', NULL, NULL),
      (800003, '\(berlinPlan)', '49', 0.10, 0.01, 1, 1, '-infinity', NULL, 'peak'),
      (800004, '\(berlinPlan)', '49', 0.02, 0, NULL, NULL, '-infinity', NULL, 'weekend'),
      (800005, '\(berlinPlan)', '4930', 0.03, 0, NULL, NULL, '-infinity', NULL, NULL);
    """

  /// (destination, instant in Unix ms, prefix, rate, time class).
  @Test(
    arguments: [
      ("+4915112345", 1_772_614_800_000, "49", "0.10", "peak"),  // Wed 2026-03-04 10:00 Berlin
      ("4915112345", 1_772_654_400_000, "49", "0.05", nil),  // Wed 21:00: offpeak has no rate of its own
      ("4915112345", 1_772_881_200_000, "49", "0.02", "weekend"),  // Sat 2026-03-07 12:00
      ("4915112345", 1_798_189_200_000, "49", "0.02", "weekend"),  // Fri 2026-12-25 10:00: holiday
      ("4915112345", 1_782_856_799_999, "49", "0.05", nil),  // Tue 2026-06-30 23:59:59.999 Berlin
      ("4915112345", 1_782_856_800_000, "49", "0.04", nil),  // Wed 2026-07-01 00:00 Berlin: new rate
      ("4915112345", 1_774_850_400_000, "49", "0.10", "peak"),  // Mon 2026-03-30 08:00 CEST (06:00 UTC)
      ("4915112345", 1_774_850_399_000, "49", "0.05", nil),  // 07:59:59 CEST
      ("493012345", 1_772_614_800_000, "4930", "0.03", nil),  // longest prefix, any time
    ] as [(String, Int64, String, String, String?)])
  func aPlanWithTimeClassesExceptionsAndEffectiveDates(
    destination: String, unixMs: Int64, prefix: String, rate: String, timeClass: String?
  ) throws {
    let data = try Self.load(Self.berlinPlanSQL)
    let plan = try #require(data.ratingPlans.first { $0.id == Self.berlinPlan })
    #expect(plan.currency == "EUR")
    #expect(plan.margin == .percent(Money("10")!))
    #expect(plan.timeZone.name == "Europe/Berlin")
    #expect(plan.windows.count == 4)
    #expect(plan.exceptions == [LocalTime.day(year: 2026, month: 12, day: 25): "weekend"])
    #expect(plan.prefixCount == 2)
    #expect(plan.rateCount == 5)
    let quote = try #require(plan.quote(destination: destination, atUnixMs: unixMs))
    #expect(quote.prefix == prefix)
    #expect(quote.ratePerMinute == Money(rate))
    #expect(quote.timeClass == timeClass)
    #expect(quote.currency == "EUR")
    if timeClass == "peak" {
      #expect(quote.connectionFee == Money("0.01"))
      #expect(quote.increments == .perSecond)
    } else {
      #expect(quote.increments == BillingIncrements(initial: 60, recurring: 60))
    }
    #expect(plan.quote(destination: "3312", atUnixMs: unixMs) == nil)
  }

  /// A change at 00:00:00.0005 applies at or after its instant: from the next
  /// millisecond, not half a millisecond early (issue 17; both bounds were
  /// floored to the millisecond).
  @Test func aSubMillisecondEffectiveDateAppliesAtOrAfterItsInstant() throws {
    let data = try Self.load(
      """
      INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_from, effective_to)
      VALUES (900020, '\(Self.supplierPlan)', '3361', 0.01, '-infinity', '2026-07-01 00:00:00.0005+00'),
             (900021, '\(Self.supplierPlan)', '3361', 0.02, '2026-07-01 00:00:00.0005+00', NULL);
      """)
    let plan = try #require(data.ratingPlans.first { $0.id == Self.supplierPlan })
    let instant: Int64 = 1_782_864_000_000  // 2026-07-01 00:00:00.000 UTC
    #expect(plan.quote(destination: "33612345", atUnixMs: instant)?.ratePerMinute == Money("0.01"))
    #expect(plan.quote(destination: "33612345", atUnixMs: instant + 1)?.ratePerMinute == Money("0.02"))
  }

  @Test func ratesStreamThroughTheCursorInSmallBatches() throws {
    let data = try Self.load(
      Self.berlinPlanSQL
        + """
        INSERT INTO rating_plan_rates (rating_plan_id, prefix, rate_per_minute)
        SELECT '\(Self.supplierPlan)', (2000 + g)::text, g / 1000.0 FROM generate_series(1, 250) g;
        """,
      batchSize: 7)
    #expect(data.ratingPlans.map(\.rateCount) == [3, 253, 5])
    let supplier = try #require(data.ratingPlans.first { $0.id == Self.supplierPlan })
    #expect(supplier.quote(destination: "21779", atUnixMs: 0)?.ratePerMinute == Money("0.177"))
    #expect(supplier.quote(destination: "15551234", atUnixMs: 0)?.ratePerMinute == Money("0.005"))
  }

  /// Each bad row fails the whole load with an error naming its table and row.
  @Test(arguments: [
    // A negative rate or fee (the schema's checks dropped first).
    (
      "ALTER TABLE rating_plan_rates DROP CONSTRAINT rating_plan_rates_rate_per_minute_check; "
        + "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute) "
        + "VALUES (900001, '\(customerPlan)', '33', -0.01)",
      "rating_plan_rates row 900001: rate_per_minute is negative: -0.010000"
    ),
    (
      "ALTER TABLE rating_plan_rates DROP CONSTRAINT rating_plan_rates_connection_fee_check; "
        + "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, connection_fee) "
        + "VALUES (900002, '\(customerPlan)', '33', 0.01, -1)",
      "rating_plan_rates row 900002: connection_fee is negative"
    ),
    (
      "ALTER TABLE rating_plan_rates DROP CONSTRAINT rating_plan_rates_rate_per_minute_bound; "
        + "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute) "
        + "VALUES (900003, '\(customerPlan)', '33', 1000000)",
      "rating_plan_rates row 900003: rate_per_minute is 1000000 or more"
    ),
    // An interval of zero, on a rate and on a plan.
    (
      "ALTER TABLE rating_plan_rates DROP CONSTRAINT rating_plan_rates_initial_interval_check; "
        + "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, initial_interval) "
        + "VALUES (900004, '\(customerPlan)', '33', 0.01, 0)",
      "rating_plan_rates row 900004: initial_interval must be positive: 0"
    ),
    (
      "ALTER TABLE customer_rating_plans DROP CONSTRAINT customer_rating_plans_recurring_interval_check; "
        + "UPDATE customer_rating_plans SET recurring_interval = 0 WHERE id = '\(supplierPlan)'",
      "customer_rating_plans row \(supplierPlan): recurring_interval must be positive: 0"
    ),
    // Issue 17: intervals past an hour (the overflow row), a rate never in
    // force, an empty time class, two holidays on one date, a time class
    // without a start (named by its column, not `extract`).
    (
      "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, connection_fee, "
        + "initial_interval, recurring_interval) "
        + "VALUES (900010, '\(customerPlan)', '33', 999999, 999999, 2147483647, 2147483647)",
      "rating_plan_rates row 900010: initial_interval is more than 3600 seconds: 2147483647"
    ),
    (
      "UPDATE customer_rating_plans SET recurring_interval = 3601 WHERE id = '\(supplierPlan)'",
      "customer_rating_plans row \(supplierPlan): recurring_interval is more than 3600 seconds: 3601"
    ),
    (
      "ALTER TABLE rating_plan_rates DROP CONSTRAINT rating_plan_rates_effective_order; "
        + "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_from, effective_to) "
        + "VALUES (900011, '\(customerPlan)', '33', 0.01, '2026-03-01', '2026-01-01')",
      "rating_plan_rates row 900011: effective_to is not after effective_from"
    ),
    (
      "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_from, effective_to) "
        + "VALUES (900012, '\(customerPlan)', '33', 0.01, '2026-03-01 00:00:00.0001+00', "
        + "'2026-03-01 00:00:00.0009+00')",
      "rating_plan_rates row 900012: effective_to is not after effective_from"
    ),
    (
      "ALTER TABLE rating_plan_rates DROP CONSTRAINT rating_plan_rates_time_class_check; "
        + "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, time_class) "
        + "VALUES (900013, '\(customerPlan)', '33', 0.01, '')",
      "rating_plan_rates row 900013: time_class is empty"
    ),
    (
      "ALTER TABLE rating_period_exceptions DROP CONSTRAINT rating_period_exceptions_template_date_key; "
        + "UPDATE customer_rating_plans SET period_exception_template = 'FR' WHERE id = '\(customerPlan)'; "
        + "INSERT INTO rating_period_exceptions (id, template, exception_date, time_class) VALUES "
        + "('00000000-0000-4000-8000-0000000000f1', 'FR', '2026-07-14', 'weekend'), "
        + "('00000000-0000-4000-8000-0000000000f2', 'FR', '2026-07-14', 'peak')",
      "exception_date is a second exception on the same date in template FR"
    ),
    (
      "ALTER TABLE rating_plan_time_classes ALTER COLUMN start_time DROP NOT NULL; "
        + "INSERT INTO rating_plan_time_classes (id, rating_plan_id, name, days, start_time, end_time) VALUES "
        + "('00000000-0000-4000-8000-0000000000e5', '\(customerPlan)', 'peak', '{1}', NULL, '20:00')",
      "rating_plan_time_classes row 00000000-0000-4000-8000-0000000000e5: start_time is NULL"
    ),
    // Overlapping effective dates for one prefix (and time class).
    (
      "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_from, effective_to) "
        + "VALUES (900005, '\(customerPlan)', '33', 0.01, '2026-01-01', '2026-03-01'), "
        + "(900006, '\(customerPlan)', '33', 0.02, '2026-02-01', NULL)",
      "rating_plan_rates row 900006: prefix '33' has overlapping effective dates: overlaps row 900005"
    ),
    (
      "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, effective_from) "
        + "VALUES (900007, '\(supplierPlan)', '', 0.01, '2026-05-01')",
      "rating_plan_rates row 900007: prefix '' has overlapping effective dates: overlaps row"
    ),
    // An unknown or inactive currency.
    (
      "UPDATE customer_rating_plans SET currency = 'EUR' WHERE id = '\(supplierPlan)'; "
        + "UPDATE currencies SET is_active = false WHERE code = 'EUR'",
      "customer_rating_plans row \(supplierPlan): currency EUR is unknown or inactive"
    ),
    (
      "ALTER TABLE customer_rating_plans ALTER COLUMN currency DROP NOT NULL; "
        + "UPDATE customer_rating_plans SET currency = NULL WHERE id = '\(customerPlan)'",
      "customer_rating_plans row \(customerPlan): currency is NULL"
    ),
    (
      "ALTER TABLE currencies DROP CONSTRAINT currencies_exchange_rate_check; "
        + "UPDATE currencies SET exchange_rate = 0 WHERE code = 'GBP'",
      ": exchange_rate is not a positive number"
    ),
    // Time zones.
    (
      "UPDATE customer_rating_plans SET time_zone = 'Mars/Olympus' WHERE id = '\(customerPlan)'",
      "customer_rating_plans row \(customerPlan): time zone Mars/Olympus is unknown"
    ),
    (
      "UPDATE customer_rating_plans SET time_zone = '../../etc/passwd' WHERE id = '\(customerPlan)'",
      "customer_rating_plans row \(customerPlan): time zone '../../etc/passwd' is not a tz database name"
    ),
    // Margins.
    (
      "ALTER TABLE customer_rating_plans DROP CONSTRAINT customer_rating_plans_margin_enforcement_check; "
        + "UPDATE customer_rating_plans SET margin_enforcement = 'sometimes' WHERE id = '\(customerPlan)'",
      "customer_rating_plans row \(customerPlan): margin_enforcement has an unknown value: sometimes"
    ),
    (
      "ALTER TABLE customer_rating_plans DROP CONSTRAINT customer_rating_plans_percent_margin_check; "
        + "UPDATE customer_rating_plans SET margin_enforcement = 'percent', min_margin = 150 "
        + "WHERE id = '\(customerPlan)'",
      "customer_rating_plans row \(customerPlan): min_margin is more than 100 percent"
    ),
    (
      "ALTER TABLE customer_rating_plans DROP CONSTRAINT customer_rating_plans_min_margin_check; "
        + "UPDATE customer_rating_plans SET margin_enforcement = 'absolute', min_margin = -1 "
        + "WHERE id = '\(customerPlan)'",
      "customer_rating_plans row \(customerPlan): min_margin is negative"
    ),
    // Time classes.
    (
      "INSERT INTO rating_plan_rates (id, rating_plan_id, prefix, rate_per_minute, time_class) "
        + "VALUES (900008, '\(customerPlan)', '33', 0.01, 'peak')",
      "rating_plan_rates row 900008: time_class peak is not defined by the plan"
    ),
    (
      "INSERT INTO rating_plan_time_classes (id, rating_plan_id, name, days, start_time, end_time) VALUES "
        + "('00000000-0000-4000-8000-0000000000e1', '\(customerPlan)', 'peak', '{1,2,3,4,5}', '08:00', '20:00'), "
        + "('00000000-0000-4000-8000-0000000000e2', '\(customerPlan)', 'evening', '{5}', '19:00', '23:00')",
      "rating_plan_time_classes row 00000000-0000-4000-8000-0000000000e1: time classes evening and peak overlap "
        + "(with row 00000000-0000-4000-8000-0000000000e2"
    ),
    (
      "ALTER TABLE rating_plan_time_classes DROP CONSTRAINT rating_plan_time_classes_days_check; "
        + "INSERT INTO rating_plan_time_classes (id, rating_plan_id, name, days) VALUES "
        + "('00000000-0000-4000-8000-0000000000e3', '\(customerPlan)', 'peak', '{0}')",
      "rating_plan_time_classes row 00000000-0000-4000-8000-0000000000e3: days [0] from 0 to 1440 minutes"
    ),
    // Route order and assignments.
    (
      "ALTER TABLE routing_plans DROP CONSTRAINT routing_plans_route_order_check; "
        + "UPDATE routing_plans SET route_order = 'random'",
      "routing_plans row 00000000-0000-4000-8000-000000000041: route_order has an unknown value: random"
    ),
    (
      "ALTER TABLE carrier_assignments DROP CONSTRAINT carrier_assignments_group_ids_check; "
        + "INSERT INTO carrier_assignments (id, carrier_id, assignment_type, group_ids) VALUES "
        + "('00000000-0000-4000-8000-0000000000e4', '\(demoSupplier)', 'groups', '{\"a\": 1}')",
      "carrier_assignments row 00000000-0000-4000-8000-0000000000e4: group_ids is not a JSON array"
    ),
  ])
  func aBadRowFailsTheLoadAndNamesIt(sql: String, message: String) throws {
    try ReferenceDataLoaderTests.expectLoadFails(afterRunning: sql, naming: message)
  }

  @Test(arguments: [
    "UPDATE currencies SET exchange_rate = 0 WHERE code = 'EUR'",
    "UPDATE customer_rating_plans SET margin_enforcement = 'sometimes'",
    "UPDATE customer_rating_plans SET margin_enforcement = 'percent', min_margin = 101",
    "UPDATE customer_rating_plans SET currency = NULL",
    "UPDATE rating_plan_rates SET connection_fee = 1000000",
    "INSERT INTO rating_plan_time_classes (rating_plan_id, name, days) VALUES ('\(customerPlan)', 'x', '{8}')",
    "INSERT INTO rating_plan_time_classes (rating_plan_id, name, days, start_time, end_time) "
      + "VALUES ('\(customerPlan)', 'x', '{1}', '20:00', '08:00')",
    "INSERT INTO rating_period_exceptions (template, exception_date, time_class) VALUES ('DE', 'infinity', 'x')",
    "UPDATE routing_plan_entries SET route_order = 'cheapest'",
    "INSERT INTO carrier_assignments (carrier_id, customer_ids) VALUES ('\(demoSupplier)', '\"c-1\"')",
  ])
  func theSchemaRefusesTheseValues(sql: String) throws {
    try TestDatabase.with { database in
      try ReferenceDataLoaderTests.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      #expect(throws: PGError.self) { try connection.execute(script: sql) }
    }
  }
}
