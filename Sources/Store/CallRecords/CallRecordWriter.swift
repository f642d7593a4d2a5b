import Billing
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The second half of the never-lose-a-record path: a dedicated thread that
/// reads fsync'd journal segments in sequence order and inserts their records
/// into PostgreSQL in batches, deleting a segment only once it is sealed and
/// every one of its records is committed.
///
/// - Crash recovery is replay: on start every segment already in the
///   directory is read from its beginning. Inserts are idempotent on `uuid`,
///   so records committed before the crash are skipped, never duplicated.
/// - A connection or server problem never drops records: the connection is
///   discarded and the same batch retried on a new one, waiting
///   `initialReconnectDelay`, doubling, up to `maxReconnectDelay`.
/// - A record PostgreSQL refuses for a data reason (SQLSTATE class 22 or 23),
///   or a damaged line in the middle of a segment, must not block the queue:
///   it is appended to `rejected.journal` in the journal directory (fsync'd,
///   after a `# reason` line) and logged.
/// - A torn last line of a segment left by a crash is skipped and logged.
/// - The records' account charges are applied by the store in the insert
///   transaction, only for records that were new (`CallRecordStore`); after
///   every commit the commit observer learns which records were dealt with and
///   the balances as committed, and `pendingCharges(inDirectory:)` tells the
///   credit ledger at start what an earlier process left uncommitted.
public final class CallRecordWriter: @unchecked Sendable {
  public struct Configuration: Sendable {
    /// The journal directory (the one `CallRecordJournal` writes).
    public var directory: String
    /// Records per INSERT transaction. Default 500.
    public var batchSize: Int = 500
    /// The least time from one batch to the next unless `batchSize` records
    /// are waiting: records are durable in the journal already, so waiting
    /// costs no caller anything and gathers more rows per PostgreSQL
    /// transaction (one WAL flush and one round of balance updates for all of
    /// them). Default 50 ms.
    public var batchInterval: Duration = .milliseconds(50)
    public var initialReconnectDelay: Duration = .milliseconds(100)
    public var maxReconnectDelay: Duration = .seconds(5)

    public init(directory: String, batchSize: Int = 500, batchInterval: Duration = .milliseconds(50)) {
      self.directory = directory
      self.batchSize = batchSize
      self.batchInterval = batchInterval
    }
  }

  /// Counts since the writer was created.
  public struct Counters: Sendable, Equatable {
    /// Records committed as new rows.
    public var inserted = 0
    /// Records committed that were already stored (replays).
    public var duplicates = 0
    /// Records refused for a data reason, and damaged lines: in `rejected.journal`.
    public var rejected = 0
    /// Complete lines in the journal not yet dealt with (fsync'd, not committed).
    public var pending = 0
    /// Failed connection attempts and lost connections.
    public var connectionFailures = 0
    /// Connections made after a failure.
    public var reconnects = 0
    /// Segments deleted after all their records were committed.
    public var segmentsDeleted = 0
    /// Torn trailing lines skipped.
    public var tornLines = 0
    /// Charges of new records whose account row is missing: skipped, records kept.
    public var unappliedCharges = 0
  }

  /// What one commit dealt with, for the credit ledger: the records it no
  /// longer has to count as pending, and the balances as committed.
  public struct CommittedBatch: Sendable, Equatable {
    /// Every record of the batch dealt with: inserted as new, already stored,
    /// or set aside in `rejected.journal`.
    public var uuids: [String]
    /// Every account a new record charged, as committed (`CallRecordInsertResult.balances`).
    public var balances: [AccountRef: AccountBalance]

    public init(uuids: [String], balances: [AccountRef: AccountBalance]) {
      self.uuids = uuids
      self.balances = balances
    }
  }

  /// The name of the file that collects rejected records, in the journal directory.
  public static let rejectedFileName = "rejected.journal"

  public let configuration: Configuration
  private let connect: @Sendable () throws -> any CallRecordStore
  private let logger: Logger

  private let lock = ConditionLock()
  // Guarded by `lock`:
  private var segments: [UInt64: SegmentState] = [:]
  private var counters = Counters()
  private var stopping = false
  private var stopDeadline = MonotonicTime(nanoseconds: .max)
  /// When the last batch began (guarded by `lock`); see `batchInterval`.
  private var lastBatchStart: MonotonicTime?
  private var thread: DedicatedThread?
  private var commitObserver: (@Sendable (CommittedBatch) -> Void)?
  // Owned by the writer thread:
  private var store: (any CallRecordStore)?
  private var reader: JournalSegmentReader?
  private var lastFailure: String?

  private struct SegmentState {
    var segment: JournalSegment
    var durableBytes: Int
    var durableRecords: Int
    var sealed: Bool
    /// The offset of the first line not yet dealt with.
    var offset = 0
    /// Complete lines dealt with (committed, rejected or skipped).
    var doneRecords = 0

    var hasWork: Bool { offset < durableBytes || sealed }
  }

  /// - Parameters:
  ///   - liveSequence: segments numbered from here on are announced through
  ///     `journalProgress(_:)` (pass the journal's `firstSequence`); the ones
  ///     below, already in the directory, are replayed as sealed. Nil: every
  ///     segment in the directory is replayed as sealed.
  ///   - connect: opens a new store (a new connection), on the writer thread.
  public init(
    configuration: Configuration, liveSequence: UInt64?, logger: Logger,
    connect: @escaping @Sendable () throws -> any CallRecordStore
  ) throws {
    self.configuration = configuration
    self.connect = connect
    self.logger = logger
    try Directory.create(configuration.directory)
    for segment in try JournalSegment.all(in: configuration.directory) {
      if let liveSequence, segment.sequence >= liveSequence { continue }
      let reader = try JournalSegmentReader(segment: segment)
      let size = try reader.size()
      let lines = try reader.lineCount(limit: size)
      segments[segment.sequence] = SegmentState(
        segment: segment, durableBytes: size, durableRecords: lines, sealed: true)
      counters.pending += lines
    }
    if !segments.isEmpty {
      logger.info(
        "replaying call-record journal segments",
        metadata: ["segments": "\(segments.count)", "records": "\(counters.pending)"])
    }
  }

  /// A writer inserting into PostgreSQL at `databaseURL`.
  public convenience init(
    configuration: Configuration, liveSequence: UInt64?, databaseURL: String,
    method: PostgresCallRecordStore.Method = .copy, logger: Logger
  ) throws {
    try self.init(configuration: configuration, liveSequence: liveSequence, logger: logger) {
      try PostgresCallRecordStore(url: databaseURL, method: method)
    }
  }

  /// Sets the function told about every commit; it runs on the writer
  /// thread after each batch. Set it before `start()`.
  public func setCommitObserver(_ observer: @escaping @Sendable (CommittedBatch) -> Void) {
    lock.withLock { commitObserver = observer }
  }

  /// The charges of every record still in the journal segments of
  /// `directory`, in journal order: what an earlier process journalled but
  /// may not have committed (the ledger counts them as pending at start; a
  /// commit later reports them in `CommittedBatch.uuids`). Damaged and torn
  /// lines are skipped. Records without charges are included, with none.
  public static func pendingCharges(inDirectory directory: String) throws -> [(
    uuid: String, charges: [AccountCharge]
  )] {
    var pending: [(uuid: String, charges: [AccountCharge])] = []
    for segment in try JournalSegment.all(in: directory) {
      var reader = try JournalSegmentReader(segment: segment)
      let size = try reader.size()
      while reader.offset < size {
        let entries = try reader.entries(upTo: size, maxEntries: 4096)
        guard let last = entries.last else { break }
        for entry in entries {
          if case .record(let record) = entry.content { pending.append((record.uuid, record.charges)) }
        }
        reader.offset = last.end
      }
    }
    return pending
  }

  /// Starts the writer thread.
  public func start() {
    lock.withLock {
      guard thread == nil, !stopping else { return }
      thread = DedicatedThread(name: "didtron-cdr-writer") { [self] in run() }
    }
  }

  /// The journal's observer: what became durable, or sealed, in a live segment.
  public func journalProgress(_ progress: CallRecordJournal.Progress) {
    lock.withLock {
      let sequence = progress.segment.sequence
      var state =
        segments[sequence]
        ?? SegmentState(segment: progress.segment, durableBytes: 0, durableRecords: 0, sealed: false)
      counters.pending += progress.durableRecords - state.durableRecords
      state.durableBytes = progress.durableBytes
      state.durableRecords = progress.durableRecords
      state.sealed = progress.sealed
      segments[sequence] = state
      lock.broadcast()
    }
  }

  public var currentCounters: Counters { lock.withLock { counters } }

  /// Inserts what is durable until nothing is left or `deadline` passes, then
  /// stops the thread and closes the connection. Blocks the calling thread.
  /// Returns true when every journalled record was committed; what is left
  /// stays in the journal for the next start.
  @discardableResult
  public func flushAndStop(deadline: ContinuousClock.Instant) -> Bool {
    let thread: DedicatedThread? = lock.withLock {
      stopping = true
      stopDeadline = MonotonicTime(deadline)
      lock.broadcast()
      return self.thread
    }
    thread?.join()
    return lock.withLock { counters.pending == 0 }
  }

  // MARK: the writer thread

  private func run() {
    while let sequence = nextSegmentWithWork() {
      do {
        try work(on: sequence)
      } catch is Interrupted {
        break
      } catch let error as FileSystemError where error.errno == ENOENT {
        // Someone removed the segment: nothing left to read in it.
        logger.warning("call-record journal segment vanished", metadata: ["error": "\(error)"])
        lock.withLock {
          if let state = segments.removeValue(forKey: sequence) {
            counters.pending -= state.durableRecords - state.doneRecords
          }
        }
        reader = nil
      } catch {
        // The journal directory itself failed us (read, unlink, rejected file).
        logger.error("call-record writer: \(error)")
        if !backOff(after: "\(error)") { break }
      }
    }
    store = nil
    reader = nil
  }

  /// Thrown when stopping past the deadline interrupts a retry.
  private struct Interrupted: Error {}

  /// Waits until some segment has work; nil when it is time to stop.
  private func nextSegmentWithWork() -> UInt64? {
    lock.withLock {
      while true {
        let next = segments.values.filter(\.hasWork).min { $0.segment < $1.segment }?.segment.sequence
        if stopping && (next == nil || MonotonicTime.now() >= stopDeadline) { return nil }
        if let next {
          let now = MonotonicTime.now()
          if !stopping, counters.pending < configuration.batchSize,
            let last = lastBatchStart, now < last + configuration.batchInterval
          {
            lock.wait(until: last + configuration.batchInterval)
            continue
          }
          lastBatchStart = now
          return next
        }
        if stopping {
          lock.wait(until: stopDeadline)
        } else {
          lock.wait()
        }
      }
    }
  }

  /// One step on one segment: a batch of lines, or its deletion.
  private func work(on sequence: UInt64) throws {
    guard let state = lock.withLock({ segments[sequence] }) else { return }
    if reader?.segment != state.segment {
      reader = try JournalSegmentReader(segment: state.segment, offset: state.offset)
    }
    guard var reader else { return }
    reader.offset = state.offset

    if state.offset < state.durableBytes {
      let entries = try reader.entries(upTo: state.durableBytes, maxEntries: configuration.batchSize)
      if !entries.isEmpty {
        try commit(entries, of: state.segment)
        let end = entries.last!.end
        lock.withLock {
          segments[sequence]?.offset = end
          segments[sequence]?.doneRecords += entries.count
        }
        return
      }
      // No complete line before the durable end: only possible for a segment
      // from an earlier process whose last line was torn by a crash.
      let torn = state.durableBytes - state.offset
      logger.warning(
        "skipping a torn last line of a call-record journal segment",
        metadata: ["segment": "\(state.segment.path)", "bytes": "\(torn)"])
      lock.withLock {
        segments[sequence]?.offset = state.durableBytes
        counters.tornLines += 1
      }
      return
    }

    // Sealed and all dealt with.
    self.reader = nil
    try Directory.removeFile(state.segment.path)
    lock.withLock {
      if let state = segments.removeValue(forKey: sequence) {
        counters.pending -= state.durableRecords - state.doneRecords
      }
      counters.segmentsDeleted += 1
    }
  }

  /// Commits the records of `entries` (retrying through connection
  /// problems) and sets aside the damaged lines and refused records.
  private func commit(_ entries: [JournalSegmentReader.Entry], of segment: JournalSegment) throws {
    var records: [CallRecord] = []
    var rejectedLines: [(line: [UInt8], reason: String)] = []
    records.reserveCapacity(entries.count)
    for entry in entries {
      switch entry.content {
      case .record(let record): records.append(record)
      case .damaged(let line, let error):
        logger.error(
          "damaged line in a call-record journal segment; set aside in \(Self.rejectedFileName)",
          metadata: ["segment": "\(segment.path)", "error": "\(error)"])
        rejectedLines.append((line + [UInt8(ascii: "\n")], "damaged line in \(segment.path): \(error)"))
      }
    }
    var inserted = 0
    var duplicates = 0
    var unapplied = 0
    var balances: [AccountRef: AccountBalance] = [:]
    func take(_ result: CallRecordInsertResult) {
      inserted += result.inserted
      unapplied += result.unappliedCharges
      for (account, balance) in result.balances {
        if let known = balances[account], known.version > balance.version { continue }
        balances[account] = balance
      }
    }
    if !records.isEmpty {
      do {
        let result = try withStore { try $0.insert(records) }
        take(result)
        duplicates = records.count - result.inserted
      } catch let refusal as DataRefusal {
        // One (or more) records are refused: find them one by one.
        logger.warning(
          "a call-record batch was refused; inserting its records one by one",
          metadata: ["error": "\(refusal.error)", "records": "\(records.count)"])
        for record in records {
          do {
            let result = try withStore { try $0.insert([record]) }
            take(result)
            duplicates += 1 - result.inserted
          } catch let refusal as DataRefusal {
            logger.error(
              "call record refused by PostgreSQL; set aside in \(Self.rejectedFileName)",
              metadata: ["uuid": "\(record.uuid)", "error": "\(refusal.error)"])
            rejectedLines.append((CallRecordLine.encode(record), "refused: \(refusal.error)"))
          }
        }
      }
    }
    if !rejectedLines.isEmpty { try setAside(rejectedLines) }
    if unapplied > 0 {
      logger.warning(
        "call-record charges skipped: their account rows are missing (records kept)",
        metadata: ["charges": "\(unapplied)"])
    }
    let observer = lock.withLock {
      counters.inserted += inserted
      counters.duplicates += duplicates
      counters.rejected += rejectedLines.count
      counters.pending -= entries.count
      counters.unappliedCharges += unapplied
      return commitObserver
    }
    observer?(CommittedBatch(uuids: records.map(\.uuid), balances: balances))
  }

  /// A data error (SQLSTATE class 22 or 23) from the store.
  private struct DataRefusal: Error {
    var error: any Error
  }

  /// Runs `body` on a connected store, reconnecting with backoff through
  /// connection and server problems until it succeeds, the error blames the
  /// data (`DataRefusal`), or stopping passes the deadline (`Interrupted`).
  private func withStore<T>(_ body: (any CallRecordStore) throws -> T) throws -> T {
    while true {
      if store == nil {
        do {
          store = try connect()
          if let failure = lastFailure {
            lock.withLock { counters.reconnects += 1 }
            logger.notice("call-record writer reconnected", metadata: ["after": "\(failure)"])
            lastFailure = nil
          }
        } catch {
          noteFailure(error, connecting: true)
          guard backOff(after: "\(error)") else { throw Interrupted() }
          continue
        }
      }
      do {
        let result = try body(store!)
        reconnectDelay = nil
        return result
      } catch let error as PGError where Self.blamesTheData(error) {
        throw DataRefusal(error: error)
      } catch {
        store = nil
        noteFailure(error, connecting: false)
        guard backOff(after: "\(error)") else { throw Interrupted() }
      }
    }
  }

  static func blamesTheData(_ error: PGError) -> Bool {
    guard let code = error.sqlState?.code else { return false }
    return code.hasPrefix("22") || code.hasPrefix("23")
  }

  private var reconnectDelay: Duration?

  private func noteFailure(_ error: any Error, connecting: Bool) {
    lock.withLock { counters.connectionFailures += 1 }
    let first = lastFailure == nil
    lastFailure = "\(error)"
    let message: Logger.Message =
      connecting
      ? "call-record writer cannot connect to PostgreSQL" : "call-record insert failed; reconnecting"
    if first {
      logger.error(message, metadata: ["error": "\(error)"])
    } else {
      logger.debug(message, metadata: ["error": "\(error)"])
    }
  }

  /// Waits the next reconnect delay. False when stopping past the deadline.
  private func backOff(after failure: String) -> Bool {
    let delay = reconnectDelay ?? configuration.initialReconnectDelay
    reconnectDelay = min(delay * 2, configuration.maxReconnectDelay)
    let until = MonotonicTime.after(delay)
    return lock.withLock {
      while MonotonicTime.now() < until {
        if stopping && MonotonicTime.now() >= stopDeadline { return false }
        lock.wait(until: stopping ? min(until, stopDeadline) : until)
      }
      return !(stopping && MonotonicTime.now() >= stopDeadline)
    }
  }

  /// Appends rejected lines to `rejected.journal`, each after a `# reason`
  /// line, and fsyncs before the records count as dealt with.
  private func setAside(_ lines: [(line: [UInt8], reason: String)]) throws {
    var bytes: [UInt8] = []
    for (line, reason) in lines {
      let oneLineReason = reason.map { $0 == "\n" || $0 == "\r" ? " " : $0 }
      bytes += Array("# \(String(oneLineReason))\n".utf8)
      bytes += line
    }
    let file = try FileDescriptor.openForAppending(configuration.directory + "/" + Self.rejectedFileName)
    try file.writeAll(bytes)
    try file.synchronize()
  }
}
