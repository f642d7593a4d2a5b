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
