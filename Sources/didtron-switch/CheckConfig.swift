import ArgumentParser
import Glibc
import SwitchDaemon

/// `didtron-switch check-config`: load and validate, print the effective configuration.
struct CheckConfig: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Validate the configuration and print the effective values (exit 1 on an error).")

  @OptionGroup var options: ConfigOptions

  func run() throws {
    do {
      let config = try options.effectiveConfig()
      let now = Int64(time(nil))
      for warning in try config.checkTLSFiles(nowUnixSeconds: now) {
        printToStandardError("didtron-switch: warning: \(warning)")
      }
      print("configuration OK")
      print("# effective configuration (defaults < file < environment < options)")
      print(config.tomlText(redactingSecrets: true), terminator: "")
    } catch {
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode.failure
    }
  }
}
