import ServiceLifecycle

/// Keeps the credit ledger in step with PostgreSQL (`CreditSync`) until
/// graceful shutdown, which reaches it last, after the journal has been
/// flushed; then it publishes this switch's last holds (what is left
/// unwritten stays in the journal) and closes its connection.
struct CreditSyncService: Service {
  let sync: CreditSync

  func run() async throws {
    let sync = self.sync
    await withTaskGroup(of: Void.self) { rounds in
      rounds.addTask { await sync.run() }
      try? await gracefulShutdown()
      rounds.cancelAll()
    }
    await sync.round(refreshSpend: false)
    await sync.shutdown()
  }
}
