import Billing
import Logging

/// Where softswitch mode's call records go: a `CallRecordJournal` (fsync'd before a
/// record counts as recorded) feeding a `CallRecordWriter` (batched,
/// idempotent inserts into PostgreSQL, replay of whatever an earlier process
/// left in the journal).
///
///     let pipeline = try CallRecordPipeline(
///       journalDirectory: "/var/lib/didtron-switch/journal",
///       databaseURL: "postgresql://switch@db/didtron", logger: logger)
///     pipeline.start()
///     pipeline.append(record) { ... durable ... }
///     pipeline.stop(deadline: .now + .seconds(10))
public final class CallRecordPipeline: @unchecked Sendable {
  /// Counts since the pipeline was created.
  public struct Counters: Sendable, Equatable {
    /// Records fsync'd to the journal.
    public var journalled: Int
    /// Records committed as new rows.
    public var inserted: Int
    /// Records committed that were already stored (replays).
    public var duplicates: Int
    /// Records set aside in `rejected.journal`.
    public var rejected: Int
    /// Records accepted but not yet committed (buffered or journalled).
    public var pending: Int
    /// Failed connection attempts and lost connections.
    public var connectionFailures: Int
    /// Connections made again after a failure.
    public var reconnects: Int
    /// Charges of new records whose account row is missing: skipped, records kept.
    public var unappliedCharges: Int
  }

  public let journal: CallRecordJournal
  public let writer: CallRecordWriter

  /// A pipeline from its two configurations; `connect` opens the writer's store.
  public init(
    journal journalConfiguration: CallRecordJournal.Configuration,
    writer writerConfiguration: CallRecordWriter.Configuration, logger: Logger,
    connect: @escaping @Sendable () throws -> any CallRecordStore
  ) throws {
    journal = try CallRecordJournal(configuration: journalConfiguration, logger: logger)
    writer = try CallRecordWriter(
      configuration: writerConfiguration, liveSequence: journal.firstSequence, logger: logger,
      connect: connect)
    journal.setProgressObserver { [writer] progress in writer.journalProgress(progress) }
  }

  /// A pipeline journalling to `journalDirectory` and inserting into
  /// PostgreSQL at `databaseURL`, `batchSize` records per transaction.
  public convenience init(
    journalDirectory: String, databaseURL: String, batchSize: Int = 500,
    method: PostgresCallRecordStore.Method = .copy, logger: Logger
  ) throws {
    try self.init(
      journal: CallRecordJournal.Configuration(directory: journalDirectory),
      writer: CallRecordWriter.Configuration(directory: journalDirectory, batchSize: batchSize),
      logger: logger
    ) {
      try PostgresCallRecordStore(url: databaseURL, method: method)
    }
  }

  /// Sets the function told about every commit of the writer
  /// (`CallRecordWriter.setCommitObserver`). Set it before `start()`.
  public func setCommitObserver(_ observer: @escaping @Sendable (CallRecordWriter.CommittedBatch) -> Void) {
    writer.setCommitObserver(observer)
  }

  /// Starts both threads. The writer begins by replaying old segments.
  public func start() {
    writer.start()
    journal.start()
  }

  /// Journals `record`; `durable` runs once it is fsync'd. Cheap enough for an event loop.
  public func append(_ record: CallRecord, durable: (@Sendable () -> Void)?) {
    journal.append(record, durable: durable)
  }

  /// Flushes and seals the journal, then lets the writer insert until the
  /// journal is empty or `deadline` passes. Blocks the calling thread (keep it
  /// off event loops). True when every record reached PostgreSQL; what did
  /// not stays in the journal for the next start.
  @discardableResult
  public func stop(deadline: ContinuousClock.Instant) -> Bool {
    journal.stop()
    return writer.flushAndStop(deadline: deadline)
  }

  /// `stop(deadline:)` on a thread of its own, for async callers (a
  /// swift-service-lifecycle `Service`).
  @discardableResult
  public func shutdown(deadline: ContinuousClock.Instant) async -> Bool {
    await withCheckedContinuation { continuation in
      DedicatedThread.detach(name: "didtron-cdr-stop") { [self] in
        continuation.resume(returning: stop(deadline: deadline))
      }
    }
  }

  public var counters: Counters {
    let journalCounters = journal.currentCounters
    let writerCounters = writer.currentCounters
    return Counters(
      journalled: journalCounters.journalled, inserted: writerCounters.inserted,
      duplicates: writerCounters.duplicates, rejected: writerCounters.rejected,
      pending: journalCounters.buffered + writerCounters.pending,
      connectionFailures: writerCounters.connectionFailures, reconnects: writerCounters.reconnects,
      unappliedCharges: writerCounters.unappliedCharges)
  }
}
