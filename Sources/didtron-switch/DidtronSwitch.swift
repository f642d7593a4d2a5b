import ArgumentParser
import SwitchDaemon

/// `didtron-switch`: the carrier softswitch daemon's command line.
@main
struct DidtronSwitch: AsyncParsableCommand {
  static let version = SwitchVersion.text

  static let configuration = CommandConfiguration(
    commandName: "didtron-switch",
    abstract: "A SIP carrier softswitch.",
    version: version,
    subcommands: [Run.self, CheckConfig.self, Migrate.self, Rate.self, Version.self, Ctl.self])
}
