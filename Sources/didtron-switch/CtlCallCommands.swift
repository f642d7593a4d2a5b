import ArgumentParser
import JSON
import SwitchDaemon

// `ctl calls`, `ctl call ID`, `ctl hangup ID`: the calls in progress.

struct CtlCalls: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calls", abstract: "List the calls in progress.")
  @OptionGroup var options: CtlOptions
  @Option(help: "Only calls of this carrier (either leg).") var carrier: String?
  @Option(help: "Only calls on this interconnect (either leg).") var interconnect: String?
  @Option(help: "Only this softphone user's calls.") var user: String?
  @Option(help: "Only calls from or to this number.") var number: String?
  @Option(help: "Calls per page (1-500).") var limit = 100
  @Option(help: "Calls to skip.") var offset = 0

  func run() throws {
    var query = "limit=\(limit)&offset=\(offset)"
    for (name, value) in [
      ("carrier", carrier), ("interconnect", interconnect), ("user", user), ("number", number),
    ] {
      if let value { query += "&\(name)=\(urlEncoded(value))" }
    }
    try options.show("GET", "/v1/calls?\(query)") { page in
      ctlTable(
        page["calls"],
        ["id", "state", "from", "to", "ingress.interconnect_id", "egress.interconnect_id", "destination"])
        + "\(page["calls"]?.arrayValue?.count ?? 0) of \(ctlCell(page["total"], or: "?")) calls\n"
    }
  }
}

struct CtlCall: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "call", abstract: "Show one call: legs, timers, money held.")
  @OptionGroup var options: CtlOptions
  @Argument(help: "The call's id (its record uuid, from ctl calls).") var id: String

  func run() throws {
    try options.show("GET", "/v1/calls/\(urlEncoded(id))") { call in
      guard case .object(let members) = call else { return "" }
      return members.map { "\($0.0): \($0.1.cellText)\n" }.joined()
    }
  }
}

struct CtlHangup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hangup", abstract: "End an answered call: BYE to both sides (ended_by admin).")
  @OptionGroup var options: CtlOptions
  @Argument(help: "The call's id.") var id: String

  func run() throws {
    try options.show("POST", "/v1/calls/\(urlEncoded(id))/hangup") { answer in
      answer["cancelled"] == .bool(true)
        ? "call \(id) cancelled (CANCEL sent to the target, 487 to the caller)\n"
        : "call \(id) ended (BYE sent to both sides)\n"
    }
  }
}
