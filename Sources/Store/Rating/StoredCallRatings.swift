import Routing

/// One stored call's prices as `calls` holds them, for re-rating
/// (`didtron-switch rate --rerate`): what it was priced on and at.
public struct StoredCallRating: Sendable, Equatable {
  /// One rated side (`rating_plan_id`, `rate_prefix`, `currency`, `cost`,
  /// or the `supplier_*` columns).
  public struct Side: Sendable, Equatable {
    public var ratingPlanID: String
    public var prefix: String?
    public var currency: String?
    public var amount: Money?
  }

  public var uuid: String
  /// `to_number`: the called number as routed.
  public var number: String
  public var startedUnixMs: Int64
  /// The instant the call's price was quoted: `answered_at` (a call is
  /// priced at its answer, docs/rating.md), `started_at` when unanswered.
  public var pricedUnixMs: Int64
  /// `duration_ms` (Migration 0016); for older rows `ended_at` −
  /// `answered_at` in milliseconds (wall clock); nil when not answered.
  public var answeredDurationMs: Int64?
  public var customer: Side?
  public var supplier: Side?
}

/// Reads the rated `calls` rows of a period through a cursor, in batches,
/// in one READ ONLY transaction: a month of records never sits in one
/// libpq result. Blocking.
public struct StoredCallRatings {
  public var batchSize = 10_000

  public init() {}

  /// Calls `body` with every call that started in [`fromUnixMs`, `toUnixMs`)
  /// and has a rated side, by start then uuid.
  public func forEach(
    in connection: PGConnection, fromUnixMs: Int64, toUnixMs: Int64, _ body: (StoredCallRating) throws -> Void
  ) throws {
    try connection.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    do {
      _ = try connection.query(
        """
        DECLARE didtron_rerate NO SCROLL CURSOR FOR
        SELECT uuid::text, coalesce(to_number, ''),
               floor(extract(epoch from started_at) * 1000)::bigint,
               CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL
                    THEN coalesce(duration_ms,
                         greatest(0, floor(extract(epoch from ended_at - answered_at) * 1000))::bigint) END,
               rating_plan_id::text, rate_prefix, currency, cost::text,
               supplier_rating_plan_id::text, supplier_rate_prefix, supplier_currency, supplier_cost::text,
               floor(extract(epoch from coalesce(answered_at, started_at)) * 1000)::bigint
        FROM calls
        WHERE started_at >= timestamptz 'epoch' + \(fromUnixMs)::bigint * interval '1 millisecond'
          AND started_at < timestamptz 'epoch' + \(toUnixMs)::bigint * interval '1 millisecond'
          AND (rating_plan_id IS NOT NULL OR supplier_rating_plan_id IS NOT NULL)
        ORDER BY started_at, uuid
        """)
      while true {
        let rows = try connection.query(PGQuery(unsafeSQL: "FETCH \(batchSize) FROM didtron_rerate"))
        if rows.rowCount == 0 { break }
        for row in 0..<rows.rowCount { try body(Self.call(rows, row)) }
      }
      try connection.execute(script: "CLOSE didtron_rerate")
      try connection.execute(script: "COMMIT")
    } catch {
      try? connection.execute(script: "ROLLBACK")
      throw error
    }
  }

  private static func call(_ rows: PGResult, _ row: Int) -> StoredCallRating {
    func side(_ first: Int) -> StoredCallRating.Side? {
      guard let plan = rows.string(row, first) else { return nil }
      return .init(
        ratingPlanID: plan, prefix: rows.string(row, first + 1), currency: rows.string(row, first + 2),
        amount: rows.string(row, first + 3).flatMap { Money($0) })
    }
    return StoredCallRating(
      uuid: rows.string(row, 0) ?? "", number: rows.string(row, 1) ?? "",
      startedUnixMs: rows.string(row, 2).flatMap { Int64($0) } ?? 0,
      pricedUnixMs: rows.string(row, 12).flatMap { Int64($0) } ?? 0,
      answeredDurationMs: rows.string(row, 3).flatMap { Int64($0) }, customer: side(4), supplier: side(8))
  }
}
