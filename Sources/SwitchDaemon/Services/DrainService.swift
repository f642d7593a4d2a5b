import Logging
import ServiceLifecycle

/// The proxy core's graceful end. At graceful shutdown (SIGTERM/SIGINT, or
/// a listener that closed), first of the core's services after the reloads
/// stop: STOPPING=1, new INVITEs get 503 with Retry-After, calls in
/// progress may end by themselves until `lifecycle.shutdown_grace` (none
/// when a listener closed: close at once), then, in softswitch mode, the
/// switch ends the calls still up (BYE both ways; their records follow).
struct DrainService: Service {
  let core: CoreHandle
  let notifier: SystemdNotifier
  let graceMs: Int64
  /// Softswitch mode waits for dialogs too (each ends with a record).
  let waitsForDialogs: Bool
  let listenerWatch: ListenerWatch
  let logger: Logger

  func run() async throws {
    try? await gracefulShutdown()
    try? notifier.stopping(status: "draining")
    let graceMs = listenerWatch.failure == nil ? self.graceMs : 0
    let started = SystemProxyClock().monotonicMs
    logger.notice("draining: new INVITEs get 503", metadata: ["grace_s": "\(graceMs / 1000)"])
    try? await core.submit { $0?.proxy.beginDraining() }
    let waitsForDialogs = self.waitsForDialogs
    while SystemProxyClock().monotonicMs - started < graceMs {
      let open =
        (try? await core.submit { core -> Int in
          guard let proxy = core?.proxy else { return 0 }
          return proxy.pendingTransactionCount + (waitsForDialogs ? proxy.dialogCount : 0)
        }) ?? 0
      if open == 0 || Task.isCancelled { break }
      try? await Task.sleep(for: .milliseconds(50), tolerance: .milliseconds(10))
    }
    if waitsForDialogs { try? await core.submit { $0?.proxy.endAllDialogs() } }
  }
}
