import ArgumentParser
import SwitchDaemon

// `ctl trunks`, `ctl trunk drain|enable ID`: interconnects and services.

struct CtlTrunks: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trunks", abstract: "Every interconnect's and carrier service's state.")
  @OptionGroup var options: CtlOptions

  func run() throws {
    try options.show("GET", "/v1/trunks") { trunks in
      "interconnects\n"
        + ctlTable(
          trunks["interconnects"],
          ["id", "name", "carrier_id", "direction", "active", "drained", "health", "calls"])
        + "services\n"
        + ctlTable(
          trunks["services"], ["id", "name", "interconnect_id", "direction", "status", "drained", "calls"])
    }
  }
}

struct CtlTrunk: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trunk", abstract: "Take an interconnect or service out of service, or back.",
    subcommands: [Drain.self, Enable.self])

  struct Drain: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "No new calls from or to it; calls up now continue.")
    @OptionGroup var options: CtlOptions
    @Argument(help: "The interconnect's or carrier service's id.") var id: String

    func run() throws {
      try options.show("POST", "/v1/trunks/\(urlEncoded(id))/drain") { _ in "trunk \(id) drained\n" }
    }
  }

  struct Enable: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Back in service.")
    @OptionGroup var options: CtlOptions
    @Argument(help: "The interconnect's or carrier service's id.") var id: String

    func run() throws {
      try options.show("POST", "/v1/trunks/\(urlEncoded(id))/enable") { _ in "trunk \(id) enabled\n" }
    }
  }
}
