/// Where finished calls go. The production sink journals each record to a
/// local file (fsync'd in batches) and inserts it into PostgreSQL later; a
/// test sink keeps them in memory.
public protocol CallRecordSink: AnyObject, Sendable {
  /// Hands over one record. `durable` is called (on any thread) once the
  /// record can no longer be lost: fsync'd to the journal.
  func append(_ record: CallRecord, durable: (@Sendable () -> Void)?)
}
