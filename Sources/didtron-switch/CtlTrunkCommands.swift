import ArgumentParser
import SwitchDaemon

// `ctl trunks`, `ctl trunk drain|enable ID`: interconnects and services.

struct CtlTrunks: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trunks", abstract: "Every interconnect's and carrier service's state.")
  @OptionGroup var options: CtlOptions

  func run() throws {
    let trunks = try options.call("GET", "/v1/trunks")
    guard !options.json else { return }
    print("interconnects")
    print(
      TextTable.of(
        trunks["interconnects"]?.arrayValue ?? [],
        columns: ["id", "name", "carrier_id", "direction", "active", "drained", "health", "calls"]
      ).rendered, terminator: "")
    print("services")
    print(
      TextTable.of(
        trunks["services"]?.arrayValue ?? [],
        columns: ["id", "name", "interconnect_id", "direction", "status", "drained", "calls"]
      ).rendered, terminator: "")
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
      _ = try options.call("POST", "/v1/trunks/\(urlEncoded(id))/drain")
      if !options.json { print("trunk \(id) drained") }
    }
  }

  struct Enable: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Back in service.")
    @OptionGroup var options: CtlOptions
    @Argument(help: "The interconnect's or carrier service's id.") var id: String

    func run() throws {
      _ = try options.call("POST", "/v1/trunks/\(urlEncoded(id))/enable")
      if !options.json { print("trunk \(id) enabled") }
    }
  }
}
