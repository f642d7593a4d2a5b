import Logging
import NIOCore
import ServiceLifecycle

/// The admin listener (`admin.listen`, docs/admin.md): bound by the build
/// function like the metrics listener (a port in use or a token file that
/// cannot be used stops the start), serving until graceful shutdown, which
/// reaches it after the drain.
struct AdminService: Service {
  let server: AdminServer

  func run() async throws {
    try? await gracefulShutdown()
    await server.stop()
  }

  /// Binds `admin.listen`; nil when it is not set. Throws when the token
  /// file is missing, empty or readable by other users.
  static func bind(
    config: SwitchConfig, core: CoreHandle, mode: String, startedUnixSeconds: Int64, logger: Logger
  ) async throws -> AdminServer? {
    guard let address = config.admin.listen else { return nil }
    let tokens: AdminTokens
    do {
      tokens = try AdminTokens.load(path: config.admin.tokenFile)
    } catch {
      logger.critical("admin API not started: \(error)")
      throw error
    }
    let endpoints = AdminEndpoints(
      core: core, startedUnixSeconds: startedUnixSeconds, mode: mode, stateFile: stateFile(config, logger),
      logger: logger)
    let events = try await core.loop.submit {
      NIOLoopBound(
        AdminEvents(
          core: core, maxSubscribers: config.admin.maxEventSubscribers,
          bufferCapacity: config.admin.eventBuffer),
        eventLoop: core.loop)
    }.get()
    do {
      let server = try await AdminServer.start(
        host: address.host, port: address.port, core: core, endpoints: endpoints, tokens: tokens,
        events: events)
      logger.notice("admin API listening", metadata: ["address": "http://\(server.address)/v1"])
      return server
    } catch {
      logger.critical("cannot listen for the admin API on \(address.hostPort): \(error)")
      throw error
    }
  }

  /// After the core is made: the trunks `admin.state_file` says are drained.
  static func restoreDrained(config: SwitchConfig, core: CoreHandle, logger: Logger) async {
    guard let file = stateFile(config, logger) else { return }
    let ids = file.load()
    guard !ids.isEmpty else { return }
    _ = try? await core.submit { $0?.proxy.drainedTrunks.replace(with: ids) }
    logger.notice("drained trunks restored", metadata: ["ids": "\(ids.sorted().joined(separator: ","))"])
  }

  private static func stateFile(_ config: SwitchConfig, _ logger: Logger) -> TrunkStateFile? {
    config.admin.stateFile.isEmpty ? nil : TrunkStateFile(path: config.admin.stateFile, logger: logger)
  }
}
