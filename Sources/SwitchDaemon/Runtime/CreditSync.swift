import Billing
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Routing
import Store

/// Keeps the credit ledger (on the core event loop) in step with
/// PostgreSQL, off the loop, every `credit.sync_interval_ms`:
///
/// 1. publishes this switch's holds (live reservations plus charges not yet
///    committed) to `credit_holds` and reads the other switches' holds;
/// 2. reads the stored balances and 24-hour spend figures (a top-up in the
///    portal is seen within one interval);
/// 3. every `credit.spend_refresh_seconds`, recomputes the stored 24-hour
///    spend figures as the window rolls on;
/// 4. writes the credit alerts that fired or re-armed (an event row and a
///    NOTIFY, once per crossing across every switch).
///
/// A database that is down is retried at the next round; the ledger goes on
/// with what it knows (its own reservations and pending charges stay exact).
final class CreditSync: @unchecked Sendable {
  private let ledger: NIOLoopBound<CreditLedger>
  private let loop: any EventLoop
  private let databaseURL: String
  private let nodeID: String
  private let settings: SwitchConfig.CreditSettings
  private let logger: Logger
  private let pool: NIOThreadPool
  private let state = NIOLockedValueBox<State>(State())

  private let connection: PoolConnection<CreditStore>

  /// Guarded by the box's lock.
  private struct State {
    var failing = false
  }

  init(
    ledger: NIOLoopBound<CreditLedger>, loop: any EventLoop, databaseURL: String, nodeID: String,
    settings: SwitchConfig.CreditSettings, logger: Logger
  ) {
    self.ledger = ledger
    self.loop = loop
    self.databaseURL = databaseURL
    self.nodeID = nodeID
    self.settings = settings
    self.logger = logger
    connection = PoolConnection { try CreditStore(url: databaseURL) }
    pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
  }

  /// Runs rounds until the task is cancelled.
  func run() async {
    var lastSpendRefresh = ContinuousClock.now
    while !Task.isCancelled {
      let refreshSpend = ContinuousClock.now - lastSpendRefresh >= .seconds(settings.spendRefreshSeconds)
      if refreshSpend { lastSpendRefresh = ContinuousClock.now }
      await round(refreshSpend: refreshSpend)
      try? await Task.sleep(for: .milliseconds(settings.syncIntervalMs))
    }
  }

  /// One exchange with PostgreSQL.
  func round(refreshSpend: Bool) async {
    let ledger = self.ledger
    guard let holds = try? await loop.submit({ ledger.value.holds() }).get() else { return }
    let fetched: (others: [AccountRef: Money], balances: [AccountRef: AccountBalance])
    do {
      fetched = try await pool.runIfActive { [self] in
        try connection.with { store in
          let others = try store.exchangeHolds(
            node: nodeID, holds: holds, staleAfterSeconds: settings.holdStaleSeconds)
          if refreshSpend { _ = try store.refreshSpend() }
          return (others, try store.loadBalances())
        }
      }
    } catch {
      failed(error)
      return
    }
    let nowUnixMs = SystemProxyClock().unixMs
    let changes: [CreditAlertChange] =
      (try? await loop.submit { () -> [CreditAlertChange] in
        ledger.value.setHeldElsewhere(fetched.others)
        ledger.value.refresh(fetched.balances, nowUnixMs: nowUnixMs)
        return ledger.value.takeAlertChanges()
      }.get()) ?? []
    guard !changes.isEmpty else { return recovered() }
    do {
      let fired = try await pool.runIfActive { [self] in
        try connection.with { try $0.apply(changes, node: nodeID) }
      }
      for change in changes {
        if case .fired(let value) = change.change {
          logger.notice(
            "credit alert",
            metadata: [
              "account": "\(change.account)", "alert": "\(change.rule.kind.rawValue)",
              "threshold": "\(change.rule.threshold)", "value": "\(value)", "currency": "\(change.currency)",
            ])
        }
      }
      if fired > 0 { logger.debug("credit alert events written", metadata: ["events": "\(fired)"]) }
      recovered()
    } catch {
      // Not written: put them back so the next round tries again.
      _ = try? await loop.submit { ledger.value.restoreAlertChanges(changes) }.get()
      failed(error)
    }
  }

  func shutdown() async {
    _ = try? await pool.runIfActive { [connection] in connection.close() }
    try? await pool.shutdownGracefully()
  }

  private func failed(_ error: any Error) {
    let first = state.withLockedValue { state in
      defer { state.failing = true }
      return !state.failing
    }
    if first {
      logger.error("credit sync with PostgreSQL failed; live credit goes on with what it knows: \(error)")
    }
  }

  private func recovered() {
    let was = state.withLockedValue { state in
      defer { state.failing = false }
      return state.failing
    }
    if was { logger.notice("credit sync with PostgreSQL restored") }
  }
}
