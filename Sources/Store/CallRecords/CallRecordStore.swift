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
  /// stored, and applies the charges of the new ones (`CallRecord.charges`)
  /// in the same transaction, so a record that was already stored never
  /// charges again.
  func insert(_ records: [CallRecord]) throws -> CallRecordInsertResult
}

/// What one committed `CallRecordStore.insert` did.
public struct CallRecordInsertResult: Sendable, Equatable {
  /// Rows that were new.
  public var inserted: Int
  /// Every account a new row charged, as committed.
  public var balances: [AccountRef: AccountBalance]
  /// Charges whose account row is missing: skipped, their records kept.
  public var unappliedCharges: Int

  public init(inserted: Int, balances: [AccountRef: AccountBalance] = [:], unappliedCharges: Int = 0) {
    self.inserted = inserted
    self.balances = balances
    self.unappliedCharges = unappliedCharges
  }
}
