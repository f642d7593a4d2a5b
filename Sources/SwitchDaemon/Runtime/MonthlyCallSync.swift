import Billing
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Store

/// Keeps the core's monthly call counts (`MonthlyCallCounter`, migration
/// 0020) in step with `usage_tracking`, off the event loop, every
/// `credit.sync_interval_ms`: the current UTC month's counts of every switch
/// on the database. The first round runs before the listeners open, so a
/// restart starts from the stored counts. A database that is down is retried
/// at the next round; the counter goes on with what it knows.
final class MonthlyCallSync: @unchecked Sendable {
  private let core: CoreHandle
  private let databaseURL: String
  private let intervalMs: Int
  private let logger: Logger
  private let pool: NIOThreadPool
  private let connection: PoolConnection<MonthlyCallStore>
  /// Logs once per outage.
  private let failing = NIOLockedValueBox(false)

  init(core: CoreHandle, databaseURL: String, intervalMs: Int, logger: Logger) {
    self.core = core
    self.databaseURL = databaseURL
    self.intervalMs = intervalMs
    self.logger = logger
    connection = PoolConnection { try MonthlyCallStore(url: databaseURL) }
    pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
  }

  /// Runs rounds until the task is cancelled.
  func run() async {
    while !Task.isCancelled {
      try? await Task.sleep(for: .milliseconds(intervalMs))
      // Stopping: the sleep ended early and the pool may refuse work; no round.
      if Task.isCancelled { break }
      await round()
    }
  }

  /// One read of the current month's counts. True when it was applied.
  @discardableResult
  func round() async -> Bool {
    let month = CalendarMonth(unixMs: SystemProxyClock().unixMs)
    guard let token = try? await core.submit({ $0?.proxy.monthlyCalls.beginSync() }) else {
      return false
    }
    let counts: [MonthlyCallCounter.Key: Int]
    do {
      counts = try await pool.runIfActive { [self] in try connection.with { try $0.counts(month: month) } }
    } catch is CancellationError {
      return false
    } catch {
      let first = failing.withLockedValue { failing in
        defer { failing = true }
        return !failing
      }
      if first { logger.error("monthly call count sync with PostgreSQL failed; counting goes on: \(error)") }
      return false
    }
    failing.withLockedValue { $0 = false }
    _ = try? await core.submit { $0?.proxy.monthlyCalls.load(counts, month: month, token: token) }
    return true
  }

  func shutdown() async {
    _ = try? await pool.runIfActive { [connection] in connection.close() }
    try? await pool.shutdownGracefully()
  }
}
