import ArgumentParser

/// `didtron-switch`: the carrier softswitch daemon's command line.
@main
struct DidtronSwitch: AsyncParsableCommand {
  static let version = "0.1.0-dev"

  static let configuration = CommandConfiguration(
    commandName: "didtron-switch",
    abstract: "A SIP carrier softswitch.",
    version: version,
    subcommands: [Run.self, CheckConfig.self, Migrate.self, Rate.self, Version.self])
}
