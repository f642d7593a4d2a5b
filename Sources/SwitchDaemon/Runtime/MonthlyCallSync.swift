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
  /// The store is used on the pool's one thread; `failing` logs once per outage.
  private let state = NIOLockedValueBox<(store: MonthlyCallStore?, failing: Bool)>((nil, false))

  init(core: CoreHandle, databaseURL: String, intervalMs: Int, logger: Logger) {
    self.core = core
    self.databaseURL = databaseURL
    self.intervalMs = intervalMs
    self.logger = logger
    pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
  }

  /// Runs rounds until the task is cancelled.
  func run() async {
    while !Task.isCancelled {
      try? await Task.sleep(for: .milliseconds(intervalMs))
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
      counts = try await pool.runIfActive { [self] in try withStore { try $0.counts(month: month) } }
    } catch {
      let first = state.withLockedValue { state in
        defer { state.failing = true }
        return !state.failing
      }
      if first { logger.error("monthly call count sync with PostgreSQL failed; counting goes on: \(error)") }
      return false
    }
    state.withLockedValue { $0.failing = false }
    _ = try? await core.submit { $0?.proxy.monthlyCalls.load(counts, month: month, token: token) }
    return true
  }

  func shutdown() async {
    state.withLockedValue { $0.store = nil }
    try? await pool.shutdownGracefully()
  }

  /// Runs `body` on the connection, opening it first; a failure drops it.
  private func withStore<T>(_ body: (MonthlyCallStore) throws -> T) throws -> T {
    let store = try state.withLockedValue { state in
      if let store = state.store { return store }
      let store = try MonthlyCallStore(url: databaseURL)
      state.store = store
      return store
    }
    do {
      return try body(store)
    } catch {
      state.withLockedValue { $0.store = nil }
      throw error
    }
  }
}
