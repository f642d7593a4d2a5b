import ServiceLifecycle

/// The call-record journal and its batched writer, and the live-call
/// checkpoint log (softswitch mode). The build function opens and starts
/// them (a call may end as soon as the listeners are bound); this service
/// holds them until graceful shutdown, which reaches it after the core has
/// drained and the transports have closed: then it flushes the journal and
/// lets the writer catch up for up to ten seconds.
struct RecordsService: Service {
  let softswitch: Softswitch

  func run() async throws {
    try? await gracefulShutdown()
    await softswitch.stop(deadline: .now + .seconds(10))
  }
}
