import ArgumentParser
import JSON
import SwitchDaemon

// `ctl accounts`, `ctl limits`, `ctl registrations USER`, `ctl reload`, `ctl version`.

struct CtlAccounts: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "accounts", abstract: "Balances, reservations, pending charges, other switches' holds.")
  @OptionGroup var options: CtlOptions
  @Option(help: "Accounts per page (1-500).") var limit = 100
  @Option(help: "Accounts to skip.") var offset = 0

  func run() throws {
    try options.show("GET", "/v1/accounts?limit=\(limit)&offset=\(offset)") { page in
      ctlTable(
        page["accounts"], ["account", "balance", "reserved", "pending", "held_elsewhere", "available"])
    }
  }
}

struct CtlLimits: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "limits", abstract: "CPS buckets and capacity counts.")
  @OptionGroup var options: CtlOptions

  func run() throws {
    try options.show("GET", "/v1/limits") { limits in
      "calls: \(ctlCell(limits["calls"]))  dialogs: \(ctlCell(limits["dialogs"]))\n"
        + ctlTable(
          limits["limited"], ["kind", "id", "cps_rate", "cps_burst", "cps_tokens", "capacity_limit", "calls"])
    }
  }
}

struct CtlRegistrations: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "registrations", abstract: "A softphone user's registered contacts.")
  @OptionGroup var options: CtlOptions
  @Argument(help: "The SIP user name.") var user: String

  func run() throws {
    try options.show("GET", "/v1/registrations?user=\(urlEncoded(user))") { found in
      ctlTable(.array(Self.contacts(found)), ["aor", "contact", "source", "expires_in_s"])
    }
  }

  /// One row per registered contact, with its address of record.
  static func contacts(_ found: JSONValue) -> [JSONValue] {
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
    return rows
  }
}

struct CtlReload: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reload", abstract: "Reload the reference data and accounts (as SIGHUP does).")
  @OptionGroup var options: CtlOptions

  func run() throws {
    try options.show("POST", "/v1/reload") { _ in "reload requested (its outcome is in the switch's log)\n" }
  }
}

struct CtlVersion: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "version", abstract: "The running switch's version and uptime.")
  @OptionGroup var options: CtlOptions

  func run() throws {
    try options.show("GET", "/v1/version") { version in
      "didtron-switch \(ctlCell(version["version"], or: "?")) (\(ctlCell(version["mode"], or: "?"))), "
        + "up \(ctlCell(version["uptime_s"], or: "?")) s\n"
    }
  }
}
