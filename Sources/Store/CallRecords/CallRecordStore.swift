import Billing

/// Where `CallRecordWriter` puts call records: PostgreSQL in production
/// (`PostgresCallRecordStore`), an in-memory table in tests. One instance
/// serves one writer thread; it is never shared.
///
/// Errors are classified by the writer: a `PGError` whose SQLSTATE is of
/// class 22 (data exception) or 23 (integrity constraint violation) blames
/// the records; anything else is treated as a connection or server problem,
/// so the instance is discarded and the batch retried on a new one.
public protocol CallRecordStore: AnyObject {
  /// Inserts `records` atomically, skipping any whose `uuid` is already
  /// stored; returns how many rows were new.
  func insert(_ records: [CallRecord]) throws -> Int
}
