import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Proxy
import SIPCore
import Store

/// Keeps the registrar's bindings in PostgreSQL (`registrar_bindings`,
/// Migration 0018; docs/registrar.md "Bindings that last"), off the event
/// loop, on one thread of its own:
///
/// - each accepted REGISTER's change is queued by `changed` (on the core's
///   loop, never blocking) and written in order; the queue holds at most
///   `maxQueued` changes (beyond, the oldest is dropped and counted), and
///   while PostgreSQL is down it is retried every `retryInterval` (REGISTER
///   is answered all along: memory is the registrar's truth meanwhile);
/// - the devices that registered get `last_seen_at`, at most once a minute;
/// - `NOTIFY didtron_registrations` (the table's trigger, any switch's write
///   included) makes it re-read that address of record and put its rows in
///   the registrar; a reconnect of the listener, and the start, read them all;
/// - expired rows are deleted once a minute.
final class BindingSync: BindingStore, @unchecked Sendable {
  struct Counters: Sendable, Equatable {
    var written = 0
    var dropped = 0
    var failures = 0
    var queued = 0
  }

  private struct State {
    var queue: [RegistrationWrite] = []
    var usernames: Set<String> = []
    var touchedAt: [String: ContinuousClock.Instant] = [:]
    var reloadAORs: Set<String> = []
    var reloadAll = true
    /// The first full read merges (a REGISTER answered before it, in the
    /// moment between binding the listeners and reading, is kept); later
    /// ones (after the listener reconnected) replace everything.
    var loadedOnce = false
    var failing = false
    var counters = Counters()
    var lastCleanup: ContinuousClock.Instant?
  }

  private let core: CoreHandle
  private let databaseURL: String
  private let nodeID: String
  private let logger: Logger
  let maxQueued: Int
  let retryInterval: Duration
  private let pool: NIOThreadPool
  private let state = NIOLockedValueBox(State())
  private let wakeups: AsyncStream<Void>
  private let wake: AsyncStream<Void>.Continuation
  /// Never used under the lock: connecting may take long, and the core's
  /// loop takes the lock in `changed`.
  private let connection: PoolConnection<RegistrationStore>

  init(
    core: CoreHandle, databaseURL: String, nodeID: String, logger: Logger, maxQueued: Int = 100_000,
    retryInterval: Duration = .seconds(1)
  ) {
    self.core = core
    self.databaseURL = databaseURL
    self.nodeID = nodeID
    self.logger = logger
    self.maxQueued = maxQueued
    self.retryInterval = retryInterval
    (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    connection = PoolConnection { try RegistrationStore(url: databaseURL) }
    pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
  }

  var counters: Counters {
    state.withLockedValue { state in
      var counters = state.counters
      counters.queued = state.queue.count
      return counters
    }
  }

  // MARK: BindingStore (on the core's loop)

  func changed(_ change: BindingChange) {
    let write = RegistrationWrite(
      addressOfRecord: change.addressOfRecord,
      saved: change.saved.map {
        RegistrationRow(
          addressOfRecord: change.addressOfRecord, contact: $0.contact, expiresAtUnixMs: $0.expiresAtUnixMs,
          qThousandths: $0.qThousandths, callID: $0.callID, cseq: $0.cseq, source: $0.source, nodeID: nodeID)
      },
      removed: change.removed)
    let user = RegistrationStore.user(ofAddressOfRecord: change.addressOfRecord)
    let dropped = state.withLockedValue { state -> Bool in
      state.queue.append(write)
      if !change.saved.isEmpty, !user.isEmpty { state.usernames.insert(user) }
      guard state.queue.count > maxQueued else { return false }
      state.queue.removeFirst()
      state.counters.dropped += 1
      return true
    }
    if dropped {
      logger.warning(
        "registrar binding queue full: the oldest change was dropped (PostgreSQL unreachable?)",
        metadata: ["queued": "\(maxQueued)"])
    }
    wake.yield()
  }

  // MARK: running

  /// Listens for other switches' changes and writes until cancelled; then
  /// writes what is queued (one try) and stops.
  func run() async {
    var configuration = ReloadListener.Configuration(
      databaseURL: databaseURL, channel: RegistrationStore.channel)
    configuration.debounce = .milliseconds(20)
    configuration.callOnFirstConnect = true
    let listener = ReloadListener(configuration: configuration, logger: logger) { [self] trigger in
      state.withLockedValue { state in
        switch trigger {
        case .notified(let payloads): state.reloadAORs.formUnion(payloads)
        case .reconnected: state.reloadAll = true
        }
      }
      wake.yield()
    }
    listener.start()
    let ticker = Task { [wake] in
      while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
        wake.yield()
      }
    }
    for await _ in wakeups {
      if Task.isCancelled { break }
      if await !drain() { try? await Task.sleep(for: retryInterval) }
    }
    ticker.cancel()
    listener.stop()
    _ = await drain()
    _ = try? await pool.runIfActive { [connection] in connection.close() }
    try? await pool.shutdownGracefully()
  }

  /// Stops `run` (its stream ends).
  func finish() { wake.finish() }

  /// One pass on the thread: queued writes, device touches, reloads,
  /// cleanup. False when PostgreSQL failed (the work stays queued).
  @discardableResult
  func drain() async -> Bool {
    let loaded: Result<(rows: [String: [RegistrationRow]], complete: Bool)?, any Error>
    do {
      loaded = .success(try await pool.runIfActive { [self] in try connection.with { try pass($0) } })
    } catch {
      loaded = .failure(error)
    }
    switch loaded {
    case .failure(let error):
      failed(error)
      return false
    case .success(let rows):
      recovered()
      guard let rows else { return true }
      let byAOR = rows.rows.mapValues { list in
        list.map {
          StoredBinding(
            contact: $0.contact, expiresAtUnixMs: $0.expiresAtUnixMs, qThousandths: $0.qThousandths,
            callID: $0.callID, cseq: $0.cseq, source: $0.source)
        }
      }
      let complete = rows.complete
      _ = try? await core.submit { $0?.proxy.loadBindings(byAOR, complete: complete) }
      return true
    }
  }

  /// The work of one pass, on the pool's thread. Returns the rows read (nil: none to read).
  private func pass(_ store: RegistrationStore) throws -> (rows: [String: [RegistrationRow]], complete: Bool)?
  {
    try writeQueued(store)
    try touchDevices(store)
    let (all, aors) = state.withLockedValue { state in
      defer {
        state.reloadAll = false
        state.reloadAORs = []
      }
      return (state.reloadAll, state.reloadAORs)
    }
    do {
      try cleanUp(store)
      if all {
        let rows = try store.load()
        let replacesAll = state.withLockedValue { $0.loadedOnce }
        state.withLockedValue { $0.loadedOnce = true }
        return (rows, replacesAll)
      }
      guard !aors.isEmpty else { return nil }
      var rows = try store.load(addressesOfRecord: Array(aors))
      for aor in aors where rows[aor] == nil { rows[aor] = [] }
      return (rows, false)
    } catch {
      state.withLockedValue { state in
        if all { state.reloadAll = true } else { state.reloadAORs.formUnion(aors) }
      }
      throw error
    }
  }

  /// Writes the queue in order, up to `batchSize` REGISTERs per
  /// transaction. A batch the table refuses (not a connection problem) is
  /// written one by one, and a change refused alone is logged and dropped,
  /// never retried forever.
  private func writeQueued(_ store: RegistrationStore) throws {
    while true {
      let batch = state.withLockedValue { Array($0.queue.prefix(Self.batchSize)) }
      guard !batch.isEmpty else { return }
      do {
        try store.apply(batch)
      } catch let error as PGError where !error.isConnectionProblem {
        for write in batch { try writeAlone(write, store) }
      }
      state.withLockedValue { state in
        // `changed` may have dropped the oldest meanwhile: remove what is still there.
        let written = batch.count
        var removed = 0
        while removed < written, let first = state.queue.first, batch.contains(first) {
          state.queue.removeFirst()
          removed += 1
        }
        state.counters.written += written
      }
    }
  }

  static let batchSize = 256

  private func writeAlone(_ write: RegistrationWrite, _ store: RegistrationStore) throws {
    do {
      try store.apply(write)
    } catch let error as PGError where !error.isConnectionProblem {
      logger.error(
        "registrar binding refused by PostgreSQL; dropped",
        metadata: ["aor": "\(LogText.escaped(write.addressOfRecord))", "error": "\(error)"])
      state.withLockedValue { $0.counters.dropped += 1 }
    }
  }

  /// `last_seen_at` of the devices that registered, at most once a minute each.
  private func touchDevices(_ store: RegistrationStore) throws {
    let now = ContinuousClock.now
    let names = state.withLockedValue { state -> [String] in
      let due = state.usernames.filter { state.touchedAt[$0].map { now - $0 >= .seconds(60) } ?? true }
      state.usernames = []
      return Array(due)
    }
    guard !names.isEmpty else { return }
    do {
      try store.touchDevices(usernames: names)
    } catch {
      state.withLockedValue { $0.usernames.formUnion(names) }
      throw error
    }
    state.withLockedValue { state in
      for name in names { state.touchedAt[name] = now }
      if state.touchedAt.count > 100_000 {
        state.touchedAt = state.touchedAt.filter { now - $0.value < .seconds(60) }
      }
    }
  }

  private func cleanUp(_ store: RegistrationStore) throws {
    let now = ContinuousClock.now
    let due = state.withLockedValue { state in state.lastCleanup.map { now - $0 >= .seconds(60) } ?? true }
    guard due else { return }
    try store.deleteExpired()
    state.withLockedValue { $0.lastCleanup = now }
  }

  private func failed(_ error: any Error) {
    let first = state.withLockedValue { state in
      defer {
        state.failing = true
        state.counters.failures += 1
      }
      return !state.failing
    }
    if first {
      logger.error(
        "registrar bindings cannot reach PostgreSQL; REGISTER goes on in memory, changes are queued: \(error)"
      )
    }
  }

  private func recovered() {
    let was = state.withLockedValue { state in
      defer { state.failing = false }
      return state.failing
    }
    if was { logger.notice("registrar bindings reach PostgreSQL again") }
  }
}
