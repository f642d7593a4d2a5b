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
