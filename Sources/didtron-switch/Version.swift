import ArgumentParser

/// `didtron-switch version`.
struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the version.")

  func run() {
    print("didtron-switch \(DidtronSwitch.version)")
  }
}
