import Routing

/// Reads `customer_rating_plans` with their time classes, period exceptions
/// and rates into `RatingPlan`s. Every value is checked here (currency,
/// time zone, margin, intervals, money, windows, time classes, effective
/// dates), so a bad row fails the load with an error naming its table and
/// row, and the previous snapshot stays. Rates stream through a cursor in
/// batches, one `RatingPlan.Builder` at a time.
struct RatingRows {
  let connection: PGConnection
  let currencies: Currencies
  var batchSize = 50_000
  var zoneDirectory = TimeZoneFile.defaultDirectory

  /// A plan's own columns, and the windows and exceptions it uses.
  struct PlanHead {
    var id: String
    var name: String
    var currency: String
    var timeZone: TimeZoneRules
    var margin: MarginRule
    var initialInterval: Int
    var recurringInterval: Int
    var template: String?
    var closedCodeFallback = false
    var windows: [(id: String, window: TimeClassWindow)] = []
    var exceptions: [PeriodException] = []
  }

  /// The largest rate or fee allowed is below this (units).
  static let moneyBound = RateQuote.moneyBound

  func load() throws -> [RatingPlan] {
    var heads = try planHeads()
    try timeClasses(&heads)
    try periodExceptions(&heads)
    return try rates(heads)
  }

  private func planHeads() throws -> [PlanHead] {
    let rows = try connection.query(
      """
      SELECT id::text, name, currency, time_zone, margin_enforcement, min_margin::text, initial_interval,
             recurring_interval, period_exception_template, closed_code_fallback
      FROM customer_rating_plans ORDER BY id
      """)
    var zones: [String: Result<TimeZoneRules, TimeZoneFile.Problem>] = [:]
    var heads: [PlanHead] = []
    heads.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 0) ?? ""
      let fields = Fields(table: "customer_rating_plans", id: id, result: rows, row: row)
      let currency = try fields.text(2)
      guard currencies.contains(currency) else { throw fields.fail(2, "\(currency) is unknown or inactive") }
      var timeZone = TimeZoneRules.utc
      if let name = fields.optionalText(3) {
        let directory = zoneDirectory
        let zone =
          zones[name]
          ?? Result { () throws(TimeZoneFile.Problem) in
            try TimeZoneFile.rules(named: name, directory: directory)
          }
        zones[name] = zone
        do {
          timeZone = try zone.get()
        } catch {
          throw ReferenceDataError(table: "customer_rating_plans", rowID: id, problem: error.description)
        }
      }
      heads.append(
        PlanHead(
          id: id, name: try fields.text(1), currency: currency, timeZone: timeZone,
          margin: try margin(fields),
          initialInterval: try interval(fields, 6), recurringInterval: try interval(fields, 7),
          template: fields.optionalText(8), closedCodeFallback: fields.bool(9)))
    }
    return heads
  }

  /// `margin_enforcement` (NULL = off) with `min_margin` (NULL = 0).
  private func margin(_ fields: Fields) throws -> MarginRule {
    let mode = fields.optionalText(4) ?? "off"
    var minimum = Money.zero
    if let text = fields.result.string(fields.row, 5) {
      guard let value = Money(text) else { throw fields.fail(5, "is not a number: \(text)") }
      guard value >= .zero else { throw fields.fail(5, "is negative: \(text)") }
      minimum = value
    }
    switch mode {
    case "off": return .off
    case "absolute": return .absolute(minimum)
    case "percent":
      guard minimum <= Money(micros: 100 * Money.microsPerUnit) else {
        throw fields.fail(5, "is more than 100 percent: \(minimum)")
      }
      return .percent(minimum)
    default: throw fields.fail(4, "has an unknown value: \(mode)")
    }
  }

  private func interval(_ fields: Fields, _ column: Int) throws -> Int {
    guard let value = try optionalInterval(fields, column) else { throw fields.fail(column, "is NULL") }
    return value
  }

  /// A billing interval in seconds: positive (NULL: nil), at most
  /// `BillingIncrements.maximumInterval` (an hour), so that no row can make
  /// a charge overflow.
  private func optionalInterval(_ fields: Fields, _ column: Int) throws -> Int? {
    guard let value = try fields.positiveInt(column) else { return nil }
    guard value <= BillingIncrements.maximumInterval else {
      throw fields.fail(column, "is more than \(BillingIncrements.maximumInterval) seconds: \(value)")
    }
    return value
  }

  private func timeClasses(_ heads: inout [PlanHead]) throws {
    let rows = try connection.query(
      """
      SELECT rating_plan_id::text, id::text, name, days::text, extract(epoch from start_time)::bigint AS start_time,
             extract(epoch from end_time)::bigint AS end_time
      FROM rating_plan_time_classes ORDER BY rating_plan_id, name, start_time, id
      """)
    let index = Dictionary(uniqueKeysWithValues: heads.indices.map { (heads[$0].id, $0) })
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 1) ?? ""
      let fields = Fields(table: "rating_plan_time_classes", id: id, result: rows, row: row)
      guard let plan = index[try fields.text(0)] else { continue }
      let name = try fields.text(2)
      guard !name.isEmpty else { throw fields.fail(2, "is empty") }
      let days = try fields.intSet(3).sorted()
      guard let start = try fields.int(4) else { throw fields.fail(4, "is NULL") }
      guard let end = try fields.int(5) else { throw fields.fail(5, "is NULL") }
      guard start % 60 == 0 else { throw fields.fail(4, "is not a whole minute") }
      guard end % 60 == 0 else { throw fields.fail(5, "is not a whole minute") }
      guard
        let window = TimeClassWindow(name: name, weekdays: days, startMinute: start / 60, endMinute: end / 60)
      else {
        throw ReferenceDataError(
          table: "rating_plan_time_classes", rowID: id,
          problem: "days \(days) from \(start / 60) to \(end / 60) minutes do not make a window "
            + "(ISO weekdays 1-7, start before end within one day)")
      }
      heads[plan].windows.append((id, window))
    }
  }

  private func periodExceptions(_ heads: inout [PlanHead]) throws {
    let rows = try connection.query(
      """
      SELECT template, id::text,
             CASE WHEN isfinite(exception_date) THEN exception_date - date '1970-01-01' END AS exception_date,
             time_class
      FROM rating_period_exceptions
      WHERE template IN (SELECT period_exception_template FROM customer_rating_plans)
      ORDER BY template, exception_date
      """)
    var byTemplate: [String: [PeriodException]] = [:]
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 1) ?? ""
      let fields = Fields(table: "rating_period_exceptions", id: id, result: rows, row: row)
      guard let day = try fields.int(2) else { throw fields.fail(2, "is not a finite date") }
      guard let timeClass = fields.optionalText(3) else { throw fields.fail(3, "is empty") }
      let template = try fields.text(0)
      // Ordered by template and date: a second row for one date is the next one.
      if let previous = byTemplate[template]?.last, previous.day == Int64(day) {
        throw fields.fail(
          2, "is a second exception on the same date in template \(template) (which applies is undefined)")
      }
      byTemplate[template, default: []].append(PeriodException(day: Int64(day), timeClass: timeClass))
    }
    for index in heads.indices {
      if let template = heads[index].template { heads[index].exceptions = byTemplate[template] ?? [] }
    }
  }

  /// A builder for `head`, or the error naming the window that overlaps another.
  private func builder(_ head: PlanHead) throws -> RatingPlan.Builder {
    do {
      return try RatingPlan.Builder(
        id: head.id, name: head.name, currency: head.currency, timeZone: head.timeZone, margin: head.margin,
        windows: head.windows.map(\.window), exceptions: head.exceptions,
        closedCodeFallback: head.closedCodeFallback)
    } catch {
      for (index, later) in head.windows.enumerated() {
        if let earlier = head.windows[..<index].first(where: { $0.window.overlaps(later.window) }) {
          throw ReferenceDataError(
            table: "rating_plan_time_classes", rowID: later.id,
            problem: "\(error) (with row \(earlier.id) of rating plan \(head.id))")
        }
      }
      throw ReferenceDataError(table: "customer_rating_plans", rowID: head.id, problem: "\(error)")
    }
  }

  /// The rows of one prefix, kept to name the row of an overlap.
  private struct PrefixRows {
    var planID = ""
    var prefix: String?
    var rows: [(id: String, rate: Rate)] = []

    /// The error naming the later of two rows whose effective dates overlap.
    func overlap(_ problem: RatingPlan.RateProblem) -> ReferenceDataError {
      guard case .overlappingEffectiveDates(let prefix, let timeClass) = problem else {
        return ReferenceDataError(
          table: "rating_plan_rates", rowID: rows.last?.id ?? "", problem: "\(problem)")
      }
      let sameClass = rows.filter { $0.rate.timeClass == timeClass }.sorted {
        $0.rate.effectiveFromMs < $1.rate.effectiveFromMs
      }
      for index in sameClass.indices.dropFirst()
      where sameClass[index - 1].rate.effectiveToMs > sameClass[index].rate.effectiveFromMs {
        return ReferenceDataError(
          table: "rating_plan_rates", rowID: sameClass[index].id,
          problem: "\(problem): overlaps row \(sameClass[index - 1].id)")
      }
      return ReferenceDataError(
        table: "customer_rating_plans", rowID: planID, problem: "\(problem) (prefix '\(prefix)')")
    }
  }

  private func rates(_ heads: [PlanHead]) throws -> [RatingPlan] {
    let index = Dictionary(uniqueKeysWithValues: heads.indices.map { (heads[$0].id, $0) })
    var built: [String: RatingPlan] = [:]
    try connection.execute(
      script: """
        DECLARE didtron_rates NO SCROLL CURSOR FOR
        SELECT rating_plan_id::text, prefix, id::text, rate_per_minute::text, connection_fee::text,
               initial_interval, recurring_interval,
               CASE WHEN effective_from = '-infinity' THEN NULL
                    WHEN effective_from = 'infinity' THEN 9223372036854775807
                    ELSE ceil(extract(epoch from effective_from) * 1000)::bigint END AS effective_from,
               CASE WHEN effective_to = '-infinity' THEN (-9223372036854775808)::bigint
                    WHEN effective_to <> 'infinity' THEN ceil(extract(epoch from effective_to) * 1000)::bigint
               END AS effective_to,
               time_class
        FROM rating_plan_rates r
        ORDER BY r.rating_plan_id, r.prefix, r.effective_from, coalesce(r.time_class, '')
        """)
    var head: PlanHead?
    var builder: RatingPlan.Builder?
    var current = PrefixRows()
    var planIntervals = (initial: 1, recurring: 1)

    func finish() throws {
      guard let plan = head else { return }
      let finished = builder!
      builder = nil
      head = nil
      do {
        built[plan.id] = try finished.build()
      } catch {
        throw current.overlap(error)
      }
    }

    while true {
      let rows = try connection.query(PGQuery(unsafeSQL: "FETCH \(batchSize) FROM didtron_rates"))
      if rows.rowCount == 0 { break }
      for row in 0..<rows.rowCount {
        let id = rows.string(row, 2) ?? ""
        let fields = Fields(table: "rating_plan_rates", id: id, result: rows, row: row)
        // The plan's id as a String only when it changes.
        let samePlan = rows.withBytes(row, 0) { bytes in
          guard let bytes, var id = head?.id else { return false }
          return id.withUTF8 { $0.elementsEqual(bytes) }
        }
        if !samePlan {
          let planID = try fields.text(0)
          try finish()
          guard let position = index[planID] else { throw fields.fail(0, "names no rating plan") }
          head = heads[position]
          builder = try self.builder(heads[position])
          planIntervals = (heads[position].initialInterval, heads[position].recurringInterval)
          current = PrefixRows(planID: planID)
        }
        let prefix = try fields.text(1)
        let rate = try self.rate(fields, intervals: planIntervals)
        do {
          try builder!.add(prefix: prefix, rate: rate)
        } catch {
          if case .overlappingEffectiveDates = error { throw current.overlap(error) }
          throw ReferenceDataError(table: "rating_plan_rates", rowID: id, problem: "\(error)")
        }
        if prefix != current.prefix {
          current.prefix = prefix
          current.rows.removeAll(keepingCapacity: true)
        }
        current.rows.append((id, rate))
      }
    }
    try finish()
    try connection.execute(script: "CLOSE didtron_rates")
    return try heads.map { head in
      if let plan = built[head.id] { return plan }
      return try self.builder(head).build()
    }
  }

  /// One `rating_plan_rates` row's price, intervals (the plan's where NULL),
  /// effective period and time class, each checked.
  private func rate(_ fields: Fields, intervals: (initial: Int, recurring: Int)) throws -> Rate {
    let initial = try optionalInterval(fields, 5) ?? intervals.initial
    let recurring = try optionalInterval(fields, 6) ?? intervals.recurring
    // Both bounds are rounded up to the millisecond: a rate applies at or
    // after its instant, never before (an instant with a sub-millisecond part
    // starts at the next millisecond).
    let from = try fields.int64(7) ?? .min
    let to = try fields.int64(8) ?? .max
    guard to > from else {
      throw fields.fail(8, "is not after effective_from: the rate would never be in force")
    }
    if let timeClass = fields.result.string(fields.row, 9), timeClass.isEmpty {
      throw fields.fail(9, "is empty (NULL is a rate for any time)")
    }
    return Rate(
      ratePerMinute: try money(fields, 3), connectionFee: try money(fields, 4),
      increments: BillingIncrements(initial: initial, recurring: recurring)!,
      effectiveFromMs: from, effectiveToMs: to, timeClass: fields.optionalText(9))
  }

  /// A rate or fee: a number of at most six decimals, not negative, below 1,000,000.
  private func money(_ fields: Fields, _ column: Int) throws -> Money {
    let text = try fields.text(column)
    guard let value = Money(text) else { throw fields.fail(column, "is not a number: \(text)") }
    guard value >= .zero else { throw fields.fail(column, "is negative: \(text)") }
    guard value < Self.moneyBound else { throw fields.fail(column, "is 1000000 or more: \(text)") }
    return value
  }
}
