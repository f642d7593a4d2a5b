import Billing
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Proxy
import Store

/// Softswitch mode's parts around the proxy core: the schema check, the
/// reference-data snapshot (loaded at start, reloaded on SIGHUP and on
/// `NOTIFY`), and the call-record pipeline (journal + batched writer).
/// Blocking database work runs on a thread pool of its own, never on the
/// event loop.
final class Softswitch: Sendable {
  let databaseURL: String
  let records: CallRecordPipeline
  /// Checkpoints of the calls that are up, for a restart after a crash.
  let checkpoints: DialogCheckpointLog
  /// What an earlier run left: the charges of records still in the journal,
  /// and the checkpoints of calls it was carrying (with no record yet).
  let pendingAtStart: [(uuid: String, charges: [AccountCharge])]
  let callsToRestore: [DialogCheckpointLog.Entry]
  private let pool: NIOThreadPool
  private let logger: Logger
  private let reloads: SnapshotReloads
  private let releases = HeldAnswers()
  private let snapshotStatus = NIOLockedValueBox(SnapshotStatus())

  /// The running snapshot's size and age, and how reloads went (metrics).
  var status: SnapshotStatus { snapshotStatus.withLockedValue { $0 } }

  private init(
    databaseURL: String, records: CallRecordPipeline, checkpoints: DialogCheckpointLog,
    pendingAtStart: [(uuid: String, charges: [AccountCharge])], callsToRestore: [DialogCheckpointLog.Entry],
    pool: NIOThreadPool, logger: Logger
  ) {
    self.databaseURL = databaseURL
    self.records = records
    self.checkpoints = checkpoints
    self.pendingAtStart = pendingAtStart
    self.callsToRestore = callsToRestore
    self.pool = pool
    self.logger = logger
    reloads = SnapshotReloads()
  }

  /// Checks the schema, loads the first snapshot and the credit accounts,
  /// opens the record pipeline (`startRecords()` starts it: it replays
  /// what an earlier run left in the journal) and takes over the live-call
  /// checkpoints an earlier run left for calls that have no record yet.
  /// Throws `SoftswitchError` with the operator's message.
  static func start(config: SwitchConfig, logger: Logger) async throws -> (Softswitch, ReferenceLoad) {
    guard let url = config.database.url else { throw SoftswitchError.noDatabase }
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    do {
      let version = try await pool.runIfActive { try SchemaVersion.check(databaseURL: url) }
      guard version == .current else { throw SoftswitchError.schema(version) }
      let directory = config.database.journalDirectory
      let records = try CallRecordPipeline(
        journalDirectory: directory, databaseURL: url, batchSize: config.database.writerBatchSize,
        logger: logger)
      // The journal's lock is ours now: read what the last run left.
      let pending = try CallRecordWriter.pendingCharges(inDirectory: directory)
      let recovery = try DialogCheckpointLog.recover(directory: directory)
      let journalled = Set(pending.map(\.uuid))
      var open = recovery.open.filter { !journalled.contains($0.id) }
      if !open.isEmpty {
        let ids = open.map(\.id)
        let recorded = try await pool.runIfActive {
          try RecordedCalls.existing(ids, in: PGConnection(url: url))
        }
        open.removeAll { recorded.contains($0.id) }
      }
      if recovery.damagedLines > 0 {
        logger.warning(
          "live-call checkpoints: unreadable lines skipped", metadata: ["lines": "\(recovery.damagedLines)"])
      }
      let checkpoints = try DialogCheckpointLog(
        configuration: DialogCheckpointLog.Configuration(directory: directory), open: open, logger: logger)
      let softswitch = Softswitch(
        databaseURL: url, records: records, checkpoints: checkpoints, pendingAtStart: pending,
        callsToRestore: open, pool: pool, logger: logger)
      let loaded = try await softswitch.loadSnapshot()
      return (softswitch, loaded)
    } catch {
      try? await pool.shutdownGracefully()
      throw error
    }
  }

  /// Starts the call-record writer and journal, and the checkpoint log.
  func startRecords() {
    records.start()
    checkpoints.start()
  }

  /// Keeps an answered call's checkpoint; `release` (the held 2xx) runs on
  /// `loop` once it is fsync'd, with the other answers of its batch.
  func checkpoint(_ checkpoint: DialogCheckpoint, release: @escaping () -> Void, loop: any EventLoop) {
    let bound = NIOLoopBound(release, eventLoop: loop)
    let releases = self.releases
    checkpoints.open(id: checkpoint.recordID, encode: { checkpoint.text }) { releases.add(bound, on: loop) }
  }

  /// Reads the reference data and builds a snapshot, and reads the credit
  /// accounts, off the event loop.
  func loadSnapshot() async throws -> ReferenceLoad {
    let url = databaseURL
    let logger = logger
    let snapshotStatus = snapshotStatus
    return try await pool.runIfActive {
      let started = ContinuousClock.now
      let connection = try PGConnection(url: url)
      let data = try ReferenceDataLoader().load(from: connection)
      let accounts = try CreditAccountLoader().loadAccounts(from: connection)
      let snapshot = Snapshot(
        carriers: data.carriers, interconnects: data.interconnects, services: data.services,
        routingPlans: data.routingPlans, policies: data.policies, ratingPlans: data.ratingPlans,
        currencies: data.currencies, assignments: data.assignments, sipCredentials: data.sipCredentials,
        retail: data.retail)
      let elapsed = ContinuousClock.now - started
      let elapsedMs =
        elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
      snapshotStatus.withLockedValue { status in
        status.loadedUnixSeconds = SystemProxyClock().unixMs / 1000
        status.loadMilliseconds = elapsedMs
        status.carriers = snapshot.carriers.count
        status.interconnects = snapshot.interconnects.count
        status.services = snapshot.services.count
        status.routingPlans = snapshot.routingPlans.count
        status.prefixes = snapshot.prefixCount
        status.ratingPlans = snapshot.ratingPlans.count
        status.rates = snapshot.rateCount
      }
      logger.notice(
        "reference data loaded",
        metadata: [
          "carriers": "\(snapshot.carriers.count)", "interconnects": "\(snapshot.interconnects.count)",
          "services": "\(snapshot.services.count)", "routing_plans": "\(snapshot.routingPlans.count)",
          "prefixes": "\(snapshot.prefixCount)", "rating_plans": "\(snapshot.ratingPlans.count)",
          "rates": "\(snapshot.rateCount)", "interconnect_policies": "\(snapshot.policies.count)",
          "credit_accounts": "\(accounts.count)", "sip_credentials": "\(snapshot.sipCredentials.count)",
          "ms": "\(elapsedMs)",
        ])
      for id in snapshot.identifier.unlinkedInterconnectIDs {
        logger.warning(
          "interconnect has no carrier in the snapshot; ignored", metadata: ["interconnect": "\(id)"])
      }
      return ReferenceLoad(snapshot: snapshot, accounts: accounts)
    }
  }

  /// Loads a new snapshot and hands it to `install`; one reload at a time
  /// (a request during a reload runs once more after it). A failure keeps
  /// the running snapshot and says why.
  func reload(reason: String, install: @escaping @Sendable (ReferenceLoad) async -> Void) async {
    guard await reloads.begin() else { return }
    repeat {
      do {
        let snapshot = try await loadSnapshot()
        await install(snapshot)
        snapshotStatus.withLockedValue { $0.reloads += 1 }
        logger.notice("snapshot reloaded", metadata: ["reason": "\(reason)"])
      } catch {
        snapshotStatus.withLockedValue { $0.failedReloads += 1 }
        logger.error(
          "reload failed, keeping the running snapshot: \(error)", metadata: ["reason": "\(reason)"])
      }
    } while await reloads.again()
  }

  /// Hands a finished call to the journal. `release` (the held answer to
  /// the BYE) runs on `loop` once the record is fsync'd; the releases of one
  /// fsync batch go back to the loop together, with one wake-up. An
  /// answered call's checkpoint is closed once its record is durable.
  func record(_ summary: CallSummary, release: (() -> Void)?, loop: any EventLoop) {
    let checkpoints = self.checkpoints
    let id = summary.recordID
    let answered = summary.outcome == .answered
    guard let release else {
      if answered {
        records.append(summary.callRecord) { @Sendable in checkpoints.close(id: id) }
      } else {
        records.append(summary.callRecord, durable: nil)
      }
      return
    }
    let bound = NIOLoopBound(release, eventLoop: loop)
    let releases = self.releases
    records.append(summary.callRecord) {
      if answered { checkpoints.close(id: id) }
      releases.add(bound, on: loop)
    }
  }

  /// Flushes the journal and lets the writer catch up until `deadline`.
  func stop(deadline: ContinuousClock.Instant) async {
    let complete = await records.shutdown(deadline: deadline)
    checkpoints.stop()
    let counters = records.counters
    logger.notice(
      "call records \(complete ? "all written" : "left in the journal for the next start")",
      metadata: [
        "journalled": "\(counters.journalled)", "inserted": "\(counters.inserted)",
        "pending": "\(counters.pending)", "rejected": "\(counters.rejected)",
      ])
    try? await pool.shutdownGracefully()
  }
}
