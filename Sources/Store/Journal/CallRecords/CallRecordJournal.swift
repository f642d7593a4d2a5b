import Billing
import Logging

/// The durable, append-only journal of finished calls: the first half of
/// the never-lose-a-record path (`CallRecordWriter` is the second).
///
/// `append` only takes a lock and appends to an in-memory buffer, so it is
/// cheap enough for an event loop. A dedicated thread takes everything that is
/// pending, encodes it (`CallRecordLine`), writes it to the current segment
/// (`calls-<seq>.journal`), `fdatasync`s, and only then calls the batch's
/// `durable` callbacks: group commit, with one fsync in flight and whatever
/// arrives meanwhile going into the next batch. A segment is sealed when it
/// reaches `segmentMaxBytes` or `segmentMaxRecords`, or when it has waited
/// `segmentMaxAge` without new records, so that the writer can delete it.
///
/// A journal never appends to a segment it did not create: segments left by
/// an earlier process (which may end in a torn line) are replayed by the
/// writer and then deleted.
public final class CallRecordJournal: @unchecked Sendable {
  public struct Configuration: Sendable {
    /// The journal directory; created (with parents) when missing.
    public var directory: String
    /// A segment is sealed once it holds this many bytes. Default 8 MiB.
    public var segmentMaxBytes: Int = 8 << 20
    /// A segment is sealed once it holds this many records. Default 20000.
    public var segmentMaxRecords: Int = 20_000
    /// A segment that has records and received none for this long is sealed. Default 10 s.
    public var segmentMaxAge: Duration = .seconds(10)
    /// At most this many records per write + fsync. Default 4096.
    public var maxBatchRecords: Int = 4096
    /// After a failed write or fsync the batch is retried on a fresh segment,
    /// waiting from this delay, doubling, up to `maxRetryDelay`.
    public var initialRetryDelay: Duration = .milliseconds(100)
    public var maxRetryDelay: Duration = .seconds(5)

    public init(directory: String) { self.directory = directory }
  }

  /// What has reached the disk: published after every fsync and every seal.
  public struct Progress: Sendable, Equatable {
    public var segment: JournalSegment
    /// The segment's size known to be fsync'd (always at a line boundary).
    public var durableBytes: Int
    /// The records in those bytes.
    public var durableRecords: Int
    /// No more records will be written to the segment.
    public var sealed: Bool
  }

  /// Counts since the journal was created.
  public struct Counters: Sendable, Equatable {
    /// Records handed to `append`.
    public var appended: Int
    /// Records fsync'd to a segment.
    public var journalled: Int
    /// Records accepted but not yet fsync'd.
    public var buffered: Int
    /// Failed write/fsync attempts (each retried on a new segment).
    public var writeFailures: Int
  }

  public let configuration: Configuration
  /// Segments with a smaller sequence number predate this journal (left by an
  /// earlier process); this journal writes only from this number up.
  public let firstSequence: UInt64

  /// The file in the journal directory that one journal at a time holds
  /// locked (`flock`), from `init` until the journal is released.
  public static let lockFileName = "journal.lock"

  private let logger: Logger
  private let directoryLock: DirectoryLock
  private let lock = ConditionLock()
  /// Serialises synchronous writes after the thread has stopped.
  private let lateLock = ConditionLock()
  // Guarded by `lock`:
  private var buffer: [Pending] = []
  private var writerWaiting = false
  private var stopping = false
  private var stopped = false
  private var thread: DedicatedThread?
  private var observer: (@Sendable (Progress) -> Void)?
  private var counters = Counters(appended: 0, journalled: 0, buffered: 0, writeFailures: 0)
  // Owned by the writer thread (or by the caller of `append` after `stop`):
  private var writerState: WriterState

  private struct Pending {
    var record: CallRecord
    var durable: (@Sendable () -> Void)?
  }

  /// The segment being written and what is known about it.
  private struct WriterState {
    var nextSequence: UInt64
    var file: FileDescriptor?
    var segment: JournalSegment?
    var bytes = 0
    var records = 0
    var lastWrite = MonotonicTime(nanoseconds: 0)
    var encoded: [UInt8] = []
  }

  /// Creates the directory if needed, locks it against other processes
  /// (throws `FileSystemError` when another journal holds it) and finds the
  /// first free sequence number. Nothing is written until the first record arrives.
  public init(configuration: Configuration, logger: Logger) throws {
    self.configuration = configuration
    self.logger = logger
    try Directory.create(configuration.directory)
    directoryLock = try DirectoryLock(directory: configuration.directory, name: Self.lockFileName)
    let existing = try JournalSegment.all(in: configuration.directory)
    firstSequence = (existing.last?.sequence ?? 0) + 1
    writerState = WriterState(nextSequence: firstSequence)
  }

  /// Sets the function told about every fsync and seal (the writer's feed).
  /// Set it before `start()`.
  public func setProgressObserver(_ observer: @escaping @Sendable (Progress) -> Void) {
    lock.withLock { self.observer = observer }
  }

  /// Starts the writing thread. Records appended before are kept and written.
  public func start() {
    lock.withLock {
      guard thread == nil, !stopped else { return }
      thread = DedicatedThread(name: "didtron-journal") { [self] in run() }
    }
  }

  /// Hands over one record; `durable` runs on the journal thread once the
  /// record is fsync'd. Cheap: a lock and an array append. After `stop()`,
  /// the record is written synchronously on the calling thread.
  public func append(_ record: CallRecord, durable: (@Sendable () -> Void)?) {
    let late: Bool = lock.withLock {
      counters.appended += 1
      counters.buffered += 1
      buffer.append(Pending(record: record, durable: durable))
      if stopped { return true }
      if writerWaiting {
        writerWaiting = false
        lock.broadcast()
      }
      return false
    }
    if late {
      logger.warning("call record appended after the journal stopped; writing it synchronously")
      drainSynchronously()
    }
  }

  /// Writes everything pending, seals the current segment, and stops the
  /// thread. Blocks until done. If the disk keeps failing, gives up after one
  /// more attempt and logs how many records could not be journalled.
  public func stop() {
    let thread: DedicatedThread? = lock.withLock {
      stopping = true
      lock.broadcast()
      return self.thread
    }
    thread?.join()
    let neverStarted = lock.withLock {
      defer { stopped = true }
      return !stopped && self.thread == nil
    }
    // Never started: write what was appended, on this thread.
    if neverStarted { drainSynchronously() }
  }

  public var currentCounters: Counters { lock.withLock { counters } }

  // MARK: the writing thread

  private func run() {
    var retryDelay = configuration.initialRetryDelay
    while true {
      var batch: ArraySlice<Pending> = []
      var sealIdle = false
      var finish = false
      lock.withLock {
        while buffer.isEmpty && !stopping {
          if writerState.records > 0 {
            let sealAt = writerState.lastWrite + configuration.segmentMaxAge
            if MonotonicTime.now() >= sealAt {
              sealIdle = true
              return
            }
            writerWaiting = true
            lock.wait(until: sealAt)
          } else {
            writerWaiting = true
            lock.wait()
          }
          writerWaiting = false
        }
        if buffer.isEmpty {
          finish = true
        } else {
          // Everything pending; `write` fsyncs it in chunks of at most
          // `maxBatchRecords` (taking a prefix here would copy the rest).
          batch = buffer[...]
          buffer = []
        }
      }
      if sealIdle {
        seal()
        continue
      }
      if finish {
        // Records appended while sealing are written before the thread ends;
        // once `stopped` is set (with the buffer seen empty) `append` writes
        // synchronously instead.
        seal()
        let done = lock.withLock {
          if buffer.isEmpty { stopped = true }
          return stopped
        }
        if done { return }
        continue
      }
      while true {
        do {
          try write(&batch)
          retryDelay = configuration.initialRetryDelay
          break
        } catch {
          let giveUp = lock.withLock {
            counters.writeFailures += 1
            return stopping
          }
          logger.error(
            "cannot write the call-record journal; retrying on a new segment",
            metadata: ["error": "\(error)", "records": "\(batch.count)"])
          abandonSegment()
          if giveUp {
            let left = lock.withLock {
              buffer.insert(contentsOf: batch, at: 0)
              stopped = true
              return buffer.count
            }
            logger.critical(
              "call records could not be journalled at shutdown", metadata: ["records": "\(left)"])
            return
          }
          let until = MonotonicTime.after(retryDelay)
          lock.withLock {
            while !stopping && MonotonicTime.now() < until { lock.wait(until: until) }
          }
          retryDelay = min(retryDelay * 2, configuration.maxRetryDelay)
        }
      }
    }
  }

  /// Appends `batch` to the current segment (sealing it when full and
  /// opening the next as needed), fsyncs, publishes the progress and runs the
  /// callbacks, one segment-sized chunk at a time; written records leave
  /// `batch`, so after a failure it holds only what is still to be written.
  private func write(_ batch: inout ArraySlice<Pending>) throws {
    while !batch.isEmpty {
      if writerState.file != nil
        && (writerState.bytes >= configuration.segmentMaxBytes
          || writerState.records >= configuration.segmentMaxRecords)
      {
        seal()
      }
      if writerState.file == nil { try openSegment() }
      guard let file = writerState.file, let segment = writerState.segment else { return }
      let count = min(
        batch.count, configuration.maxBatchRecords,
        max(1, configuration.segmentMaxRecords - writerState.records))
      let chunk = batch.prefix(count)
      writerState.encoded.removeAll(keepingCapacity: true)
      for pending in chunk { CallRecordLine.encode(pending.record, into: &writerState.encoded) }
      try file.writeAll(writerState.encoded)
      try file.synchronize()
      batch = batch[(batch.startIndex + count)...]  // O(1): no copy of the rest
      writerState.bytes += writerState.encoded.count
      writerState.records += count
      writerState.lastWrite = .now()
      let progress = Progress(
        segment: segment, durableBytes: writerState.bytes, durableRecords: writerState.records, sealed: false)
      let observer = lock.withLock {
        counters.journalled += count
        counters.buffered -= count
        return self.observer
      }
      observer?(progress)
      for pending in chunk { pending.durable?() }
    }
  }

  private func openSegment() throws {
    let segment = JournalSegment(sequence: writerState.nextSequence, directory: configuration.directory)
    writerState.nextSequence += 1
    let file = try FileDescriptor.openForAppending(segment.path)
    // The new directory entry must survive a crash, or the fsync'd data would be unreachable.
    try Directory.synchronize(configuration.directory)
    writerState.file = file
    writerState.segment = segment
    writerState.bytes = 0
    writerState.records = 0
  }

  /// Closes the current segment and publishes it as sealed.
  private func seal() {
    guard let segment = writerState.segment else { return }
    let progress = Progress(
      segment: segment, durableBytes: writerState.bytes, durableRecords: writerState.records, sealed: true)
    writerState.file = nil
    writerState.segment = nil
    writerState.bytes = 0
    writerState.records = 0
    lock.withLock { observer }?(progress)
  }

  /// After a failed write: the segment may hold a partial batch after its
  /// last durable byte; seal it at that byte (the writer reads no further).
  private func abandonSegment() {
    seal()
  }

  /// Writes the whole buffer on the calling thread and seals the segment.
  /// Called only once the writing thread is done (`stopped`); `lateLock`
  /// keeps late appenders from writing at the same time.
  private func drainSynchronously() {
    lateLock.withLock {
      while true {
        var batch: ArraySlice<Pending> = lock.withLock {
          defer { buffer.removeAll() }
          return buffer[...]
        }
        if batch.isEmpty { return }
        do {
          try write(&batch)
          seal()
        } catch {
          abandonSegment()
          let left = lock.withLock {
            counters.writeFailures += 1
            buffer.insert(contentsOf: batch, at: 0)
            return buffer.count
          }
          logger.critical(
            "call records could not be journalled", metadata: ["error": "\(error)", "records": "\(left)"])
          return
        }
      }
    }
  }
}
