import Glibc
import Logging
import Proxy
import SIPTransport
import ServiceLifecycle
import Store
import UnixSignals

/// Reloads while the switch runs, until graceful shutdown (the first thing
/// to stop): SIGHUP always; in softswitch mode also a `NOTIFY` on
/// `database.notify_channel`. Softswitch mode reloads the snapshot and the
/// credit accounts, proxy mode re-reads the configuration for its next hop.
/// A reload that fails keeps what runs. RELOADING=1 and READY=1 bracket a
/// SIGHUP for systemd.
struct ReloadService: Service {
  let core: CoreHandle
  let config: SwitchConfig
  let softswitch: Softswitch?
  let notifier: SystemdNotifier
  /// Re-reads the configuration (file, environment, flags); nil: SIGHUP only logs.
  let reloadConfiguration: (@Sendable () throws -> SwitchConfig)?
  /// Trapped by the build function, before READY=1.
  let hangups: UnixSignalsSequence
  let logger: Logger
  /// The TLS contexts: SIGHUP loads the certificate and key files again.
  var tls: TLSContextStore? = nil

  func run() async throws {
    let listener = startListener()
    for await _ in hangups.cancelOnGracefulShutdown() {
      try? notifier.reloading()
      if let softswitch {
        await softswitch.reload(reason: "SIGHUP", install: install)
      } else {
        await reloadNextHop()
      }
      reloadTLS()
      try? notifier.ready()
    }
    listener?.stop()
  }

  /// Softswitch mode: a `NOTIFY` on the channel reloads too.
  private func startListener() -> ReloadListener? {
    guard let softswitch else { return nil }
    var configuration = ReloadListener.Configuration(
      databaseURL: softswitch.databaseURL, channel: config.database.notifyChannel)
    configuration.callOnFirstConnect = false
    let install = self.install
    let listener = ReloadListener(configuration: configuration, logger: logger) { trigger in
      Task { await softswitch.reload(reason: "\(trigger)", install: install) }
    }
    listener.start()
    return listener
  }

  /// Puts a freshly loaded snapshot and its accounts into the running core.
  private var install: @Sendable (ReferenceLoad) async -> Void {
    let core = self.core
    let config = self.config
    let tls = self.tls
    let logger = self.logger
    return { loaded in
      if let tls { TLSPeers.install(loaded.snapshot.interconnects.values, into: tls, logger: logger) }
      try? await core.submit { switchCore in
        guard let proxy = switchCore?.proxy else { return }
        proxy.router = config.callPipeline(loaded.snapshot)
        proxy.registrar?.credentials = loaded.snapshot.sipCredentials
        proxy.credit?.load(loaded.accounts)
        proxy.credit?.currencies = loaded.snapshot.currencies
      }
    }
  }

  /// Proxy mode: the configuration's next hop, if it still has one.
  private func reloadNextHop() async {
    guard let reloadConfiguration else {
      logger.notice("SIGHUP: nothing to reload")
      return
    }
    do {
      let fresh = try reloadConfiguration()
      guard let nextHop = fresh.proxy.nextHop else { throw DaemonError.noRoute }
      try await core.submit { $0?.proxy.router = NextHopRouter(nextHop: nextHop) }
      logger.notice("SIGHUP: configuration reloaded", metadata: ["next_hop": "\(nextHop)"])
    } catch {
      logger.error("SIGHUP: reload failed, keeping the running configuration: \(error)")
    }
  }

  /// The certificate and key files again (a renewed certificate), for new
  /// handshakes; established connections keep theirs. A file that does not load
  /// keeps the running certificate.
  private func reloadTLS() {
    guard let tls else { return }
    var settings = config.tls
    if let reloadConfiguration, let fresh = try? reloadConfiguration() { settings = fresh.tls }
    do {
      try tls.reload(settings.transportConfiguration, nowUnix: Int64(time(nil)))
      if let notAfter = tls.certificateNotAfter {
        logger.notice(
          "SIGHUP: TLS certificate reloaded",
          metadata: ["file": "\(settings.certificateFile)", "not_after_unix": "\(notAfter)"])
      }
    } catch {
      logger.error("SIGHUP: TLS reload failed, keeping the running certificate: \(error)")
    }
  }
}
