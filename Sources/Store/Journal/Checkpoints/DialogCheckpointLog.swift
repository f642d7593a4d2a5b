import Logging

/// The durable set of checkpoints of the calls that are up (docs/credit.md,
/// "Calls up when the switch dies"): `live-calls.log` in the journal
/// directory. A call's checkpoint is opened when it is answered and closed
/// once its call record is durable; a switch that starts on the directory
/// after a crash takes over the calls still open.
///
/// Lines (`ChecksummedLine` framing; the payload's parts are tab-separated):
///
///     <crc32>\tO\t<id>\t<checkpoint text>\n     the call `id` is up
///     <crc32>\tC\t<id>\n                        it is over
///
/// A thread of its own writes whatever is pending, `fdatasync`s, and only
/// then calls the `durable` callbacks of the opens in that batch (group
/// commit). When the file has grown past `compactAtBytes` and is more than
/// twice what the open checkpoints need, it is rewritten with only those
/// (written to `live-calls.log.new`, fsync'd, renamed over the log).
public final class DialogCheckpointLog: @unchecked Sendable {
  public static let fileName = "live-calls.log"

  public struct Configuration: Sendable {
    public var directory: String
    /// The log is compacted once it is at least this large. Default 8 MiB.
    public var compactAtBytes: Int = 8 << 20
    /// After a failed write or fsync the batch is retried after this delay, doubling up to `maxRetryDelay`.
    public var initialRetryDelay: Duration = .milliseconds(100)
    public var maxRetryDelay: Duration = .seconds(5)

    public init(directory: String) { self.directory = directory }
  }

  /// One open checkpoint found in the log.
  public struct Entry: Sendable, Hashable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
      self.id = id
      self.text = text
    }
  }

  /// What `recover` found: the checkpoints still open, in the order they were
  /// opened, and how many lines it could not read (a torn last line after a
  /// crash is one).
  public struct Recovery: Sendable, Equatable {
    public var open: [Entry]
    public var damagedLines: Int
  }

  public let configuration: Configuration
  private let logger: Logger
  private let lock = ConditionLock()
  // Guarded by `lock`:
  private var pending: [Operation] = []
  private var stopping = false
  /// The writing thread has written its last batch (or never started).
  private var stopped = false
  private var thread: DedicatedThread?
  private var writerWaiting = false
  // Owned by the writing thread:
  private var live: [String: [UInt8]] = [:]
  private var liveBytes = 0
  private var file: FileDescriptor?
  private var fileBytes = 0
  private var encoded: [UInt8] = []

  private enum Operation {
    case open(id: String, text: @Sendable () -> String, durable: @Sendable () -> Void)
    case close(id: String)
  }

  private var path: String { configuration.directory + "/" + Self.fileName }

  /// Reads the log an earlier process left in `directory` (none: nothing open).
  public static func recover(directory: String) throws -> Recovery {
    let path = directory + "/" + fileName
    guard Directory.exists(directory), let bytes = try? Directory.readFile(path) else {
      return Recovery(open: [], damagedLines: 0)
    }
    var order: [String] = []
    var open: [String: String] = [:]
    var damaged = 0
    var lineStart = 0
    for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
      let line = Array(bytes[lineStart..<index])
      lineStart = index + 1
      guard let payload = try? ChecksummedLine.payload(line) else {
        damaged += 1
        continue
      }
      let parts = payload.split(separator: UInt8(ascii: "\t"), maxSplits: 2, omittingEmptySubsequences: false)
      let kind = parts.first.map { String(decoding: $0, as: UTF8.self) }
      switch (kind, parts.count) {
      case ("O", 3):
        let id = String(decoding: parts[1], as: UTF8.self)
        if open[id] == nil { order.append(id) }
        open[id] = String(decoding: parts[2], as: UTF8.self)
      case ("C", 2):
        open.removeValue(forKey: String(decoding: parts[1], as: UTF8.self))
      default:
        damaged += 1
      }
    }
    if lineStart < bytes.count { damaged += 1 }  // a torn last line
    return Recovery(
      open: order.compactMap { id in open[id].map { Entry(id: id, text: $0) } }, damagedLines: damaged)
  }

  /// Rewrites the log with exactly `open` (the checkpoints taken over from
  /// an earlier process, or none; their order is not kept) and makes that
  /// durable before returning.
  /// The journal directory must be locked by this process (`CallRecordJournal`).
  public init(configuration: Configuration, open: [Entry], logger: Logger) throws {
    self.configuration = configuration
    self.logger = logger
    try Directory.create(configuration.directory)
    for entry in open {
      let line = Self.openLine(id: entry.id, text: entry.text)
      live[entry.id] = line
      liveBytes += line.count
    }
    try rewrite()
  }

  /// Starts the writing thread.
  public func start() {
    lock.withLock {
      guard thread == nil, !stopping else { return }
      thread = DedicatedThread(name: "didtron-checkpoints") { [self] in run() }
    }
  }

  /// Opens `id`'s checkpoint; `durable` runs on the log's thread once it is
  /// fsync'd (at once when the log has stopped). Cheap: a lock and an append.
  public func open(id: String, text: String, durable: @escaping @Sendable () -> Void) {
    open(id: id, encode: { text }, durable: durable)
  }

  /// The same, with the text made by `encode` on the log's thread (so the
  /// caller's thread, an event loop, does not spend its time encoding).
  public func open(
    id: String, encode: @escaping @Sendable () -> String, durable: @escaping @Sendable () -> Void
  ) {
    let late = enqueue(.open(id: id, text: encode, durable: durable))
    if late { durable() }
  }

  /// Closes `id`'s checkpoint (its call record is durable). Not waited for:
  /// a close lost to a crash leaves a checkpoint whose record exists, which
  /// the next start recognises by its record.
  public func close(id: String) {
    _ = enqueue(.close(id: id))
  }

  /// Writes what is pending and stops the thread; blocks until done.
  public func stop() {
    let thread: DedicatedThread? = lock.withLock {
      stopping = true
      lock.broadcast()
      return self.thread
    }
    thread?.join()
    lock.withLock { stopped = true }
  }

  /// How many checkpoints are open (as the writing thread last saw them; tests).
  public var openCount: Int { lock.withLock { live.count } }

  private func enqueue(_ operation: Operation) -> Bool {
    lock.withLock {
      if stopped { return true }
      pending.append(operation)
      if writerWaiting {
        writerWaiting = false
        lock.broadcast()
      }
      return false
    }
  }

  // MARK: The writing thread

  private func run() {
    var retryDelay = configuration.initialRetryDelay
    while true {
      let batch: [Operation] = lock.withLock {
        while pending.isEmpty && !stopping {
          writerWaiting = true
          lock.wait()
          writerWaiting = false
        }
        if pending.isEmpty { stopped = true }
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
      }
      if batch.isEmpty { return }
      while true {
        do {
          try write(batch)
          retryDelay = configuration.initialRetryDelay
          break
        } catch {
          logger.error(
            "cannot write the live-call checkpoints; retrying",
            metadata: ["error": "\(error)", "operations": "\(batch.count)"])
          file = nil
          let until = MonotonicTime.after(retryDelay)
          lock.withLock { while MonotonicTime.now() < until { _ = lock.wait(until: until) } }
          retryDelay = min(retryDelay * 2, configuration.maxRetryDelay)
        }
      }
      for operation in batch {
        if case .open(_, _, let durable) = operation { durable() }
      }
    }
  }

  /// Appends the batch's lines, fsyncs, and compacts when the log is mostly
  /// closed checkpoints. The live set changes only once the lines are durable.
  private func write(_ batch: [Operation]) throws {
    encoded.removeAll(keepingCapacity: true)
    var opened: [(String, [UInt8])] = []
    var closed: Set<String> = []
    for operation in batch {
      switch operation {
      case .open(let id, let encode, _):
        let line = Self.openLine(id: id, text: encode())
        encoded.append(contentsOf: line)
        opened.append((id, line))
        closed.remove(id)
      case .close(let id):
        guard live[id] != nil || opened.contains(where: { $0.0 == id }) else { continue }
        let start = ChecksummedLine.begin(&encoded)
        encoded.append(contentsOf: "C\t\(id)".utf8)
        ChecksummedLine.finish(&encoded, start: start)
        closed.insert(id)
      }
    }
    if file == nil { try rewrite() }
    guard let file else { return }
    try file.writeAll(encoded)
    // Only opens wait for the disk: a close lost to a crash is recognised at
    // the next start by its call's record (see `close`).
    if !opened.isEmpty { try file.synchronize() }
    fileBytes += encoded.count
    lock.withLock {
      for (id, line) in opened {
        if let old = live.updateValue(line, forKey: id) { liveBytes -= old.count }
        liveBytes += line.count
      }
      for id in closed {
        if let old = live.removeValue(forKey: id) { liveBytes -= old.count }
      }
    }
    if fileBytes >= configuration.compactAtBytes && fileBytes > 2 * liveBytes { try rewrite() }
  }

  /// Replaces the log with the open checkpoints only: a new file, fsync'd,
  /// renamed over the old one, the directory fsync'd.
  private func rewrite() throws {
    let next = path + ".new"
    try Directory.removeFile(next)
    let fresh = try FileDescriptor.openForAppending(next)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(liveBytes)
    for line in live.values { bytes.append(contentsOf: line) }
    try fresh.writeAll(bytes)
    try fresh.synchronize()
    try Directory.rename(next, to: path)
    try Directory.synchronize(configuration.directory)
    file = fresh
    fileBytes = bytes.count
  }

  private static func openLine(id: String, text: String) -> [UInt8] {
    var line: [UInt8] = []
    let start = ChecksummedLine.begin(&line)
    line.append(contentsOf: "O\t\(id)\t\(text)".utf8)
    ChecksummedLine.finish(&line, start: start)
    return line
  }
}
