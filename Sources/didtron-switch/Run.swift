import ArgumentParser
import Logging
import SwitchDaemon

/// `didtron-switch run`: load the configuration, start logging, run the daemon.
struct Run: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Run the switch until SIGTERM.")

  /// sysexits.h EX_CONFIG; the systemd unit does not restart on it.
  static let configurationErrorExitCode: Int32 = 78

  @OptionGroup var options: ConfigOptions

  func run() async throws {
    let config: SwitchConfig
    do {
      config = try options.effectiveConfig()
    } catch {
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode(Self.configurationErrorExitCode)
    }
    let level = config.log.level
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardOutput(label: label)
      handler.logLevel = level
      return handler
    }
    let logger = Logger(label: "didtron-switch")
    logger.info("starting", metadata: ["version": "\(DidtronSwitch.version)"])
    let options = self.options
    do {
      try await Daemon.run(
        config: config, logger: logger, reloadConfiguration: { try options.effectiveConfig() })
    } catch {
      logger.critical("didtron-switch failed: \(error)")
      throw ExitCode.failure
    }
  }
}
