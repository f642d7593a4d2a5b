import ServiceLifecycle

/// Keeps the monthly call counts in step with PostgreSQL (`MonthlyCallSync`)
/// until graceful shutdown, then closes its connection.
struct MonthlyCallSyncService: Service {
  let sync: MonthlyCallSync

  func run() async throws {
    let sync = self.sync
    await withTaskGroup(of: Void.self) { rounds in
      rounds.addTask { await sync.run() }
      try? await gracefulShutdown()
      rounds.cancelAll()
    }
    await sync.shutdown()
  }
}
