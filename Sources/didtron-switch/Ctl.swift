import ArgumentParser
import SwitchDaemon

/// `didtron-switch ctl`: the admin API from the shell (docs/admin.md).
struct Ctl: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Talk to a running switch over its admin API (calls, trunks, accounts, reload).",
    subcommands: [
      CtlCalls.self, CtlCall.self, CtlHangup.self, CtlTrunks.self, CtlTrunk.self, CtlAccounts.self,
      CtlLimits.self, CtlRegistrations.self, CtlReload.self, CtlVersion.self,
    ])
}

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
    let page = try options.call("GET", "/v1/calls?\(query)")
    guard !options.json else { return }
    let calls = page["calls"]?.arrayValue ?? []
    print(
      TextTable.of(
        calls,
        columns: [
          "id", "state", "from", "to", "ingress.interconnect_id", "egress.interconnect_id", "destination",
        ]
      ).rendered, terminator: "")
    print("\(calls.count) of \(page["total"]?.cellText ?? "?") calls")
  }
}

struct CtlCall: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "call", abstract: "Show one call: legs, timers, money held.")
  @OptionGroup var options: CtlOptions
  @Argument(help: "The call's id (its record uuid, from ctl calls).") var id: String

  func run() throws {
    let call = try options.call("GET", "/v1/calls/\(urlEncoded(id))")
    guard !options.json, case .object(let members) = call else { return }
    for (key, value) in members { print("\(key): \(value.cellText)") }
  }
}

struct CtlHangup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hangup", abstract: "End an answered call: BYE to both sides (ended_by admin).")
  @OptionGroup var options: CtlOptions
  @Argument(help: "The call's id.") var id: String

  func run() throws {
    let answer = try options.call("POST", "/v1/calls/\(urlEncoded(id))/hangup")
    guard !options.json else { return }
    print(
      "call \(id) ended"
        + (answer["bye_sent"] == .bool(true) ? " (BYE sent to both sides)" : " (no BYE: record closed)"))
  }
}

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
        columns: ["id", "name", "carrier_id", "direction", "active", "drained", "calls"]
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

struct CtlAccounts: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "accounts", abstract: "Balances, reservations, pending charges, other switches' holds.")
  @OptionGroup var options: CtlOptions
  @Option(help: "Accounts per page (1-500).") var limit = 100
  @Option(help: "Accounts to skip.") var offset = 0

  func run() throws {
    let page = try options.call("GET", "/v1/accounts?limit=\(limit)&offset=\(offset)")
    guard !options.json else { return }
    print(
      TextTable.of(
        page["accounts"]?.arrayValue ?? [],
        columns: ["account", "balance", "reserved", "pending", "held_elsewhere", "available"]
      ).rendered, terminator: "")
  }
}

struct CtlLimits: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "limits", abstract: "CPS buckets and capacity counts.")
  @OptionGroup var options: CtlOptions

  func run() throws {
    let limits = try options.call("GET", "/v1/limits")
    guard !options.json else { return }
    print("calls: \(limits["calls"]?.cellText ?? "-")  dialogs: \(limits["dialogs"]?.cellText ?? "-")")
    print(
      TextTable.of(
        limits["limited"]?.arrayValue ?? [],
        columns: ["kind", "id", "cps_rate", "cps_burst", "cps_tokens", "capacity_limit", "calls"]
      ).rendered, terminator: "")
  }
}

struct CtlRegistrations: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "registrations", abstract: "A softphone user's registered contacts.")
  @OptionGroup var options: CtlOptions
  @Argument(help: "The SIP user name.") var user: String

  func run() throws {
    let found = try options.call("GET", "/v1/registrations?user=\(urlEncoded(user))")
    guard !options.json else { return }
    var rows: [JSONValue] = []
    for aor in found["registrations"]?.arrayValue ?? [] {
      for contact in aor["contacts"]?.arrayValue ?? [] {
        rows.append(
          .object([
            ("aor", aor["address_of_record"] ?? .null), ("contact", contact["contact"] ?? .null),
            ("source", contact["source"] ?? .null), ("expires_in_s", contact["expires_in_s"] ?? .null),
          ]))
      }
    }
    print(TextTable.of(rows, columns: ["aor", "contact", "source", "expires_in_s"]).rendered, terminator: "")
  }
}

struct CtlReload: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reload", abstract: "Reload the reference data and accounts (as SIGHUP does).")
  @OptionGroup var options: CtlOptions

  func run() throws {
    _ = try options.call("POST", "/v1/reload")
    if !options.json { print("reload requested (its outcome is in the switch's log)") }
  }
}

struct CtlVersion: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "version", abstract: "The running switch's version and uptime.")
  @OptionGroup var options: CtlOptions

  func run() throws {
    let version = try options.call("GET", "/v1/version")
    guard !options.json else { return }
    print(
      "didtron-switch \(version["version"]?.cellText ?? "?") (\(version["mode"]?.cellText ?? "?")), "
        + "up \(version["uptime_s"]?.cellText ?? "?") s")
  }
}
