import ServiceLifecycle

/// Keeps the registrar's bindings in PostgreSQL (`BindingSync`) until
/// graceful shutdown, then writes what is still queued (one try) and stops.
struct BindingSyncService: Service {
  let sync: BindingSync

  func run() async throws {
    let sync = self.sync
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await sync.run() }
      try? await gracefulShutdown()
      sync.finish()
    }
  }
}
