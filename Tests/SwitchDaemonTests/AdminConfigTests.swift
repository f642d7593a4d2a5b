import Testing

@testable import SwitchDaemon

@Suite("[admin]: loading, validation, ctl's variables")
struct AdminConfigTests {
  static let minimal = "[proxy]\nnext_hop = \"127.0.0.1:5080\"\n"

  static func load(_ text: String, environment: [String: String] = [:]) throws -> SwitchConfig {
    try SwitchConfig.load(file: ConfigFile(parsing: text, path: "test.toml"), environment: environment)
  }

  @Test func offByDefaultAndReadFromFileAndEnvironment() throws {
    #expect(try Self.load(Self.minimal).admin.listen == nil)
    let config = try Self.load(
      Self.minimal + "[admin]\nlisten = \"127.0.0.1:9465\"\ntoken_file = \"/etc/t\"\n",
      environment: ["DIDTRON_ADMIN_EVENT_BUFFER": "64", "DIDTRON_ADMIN_URL": "http://127.0.0.1:9465"])
    #expect(config.admin.listen?.hostPort == "127.0.0.1:9465")
    #expect(config.admin.tokenFile == "/etc/t")
    #expect(config.admin.eventBuffer == 64)
    #expect(config.admin.maxEventSubscribers == 100)
  }

  @Test func aListenerNeedsATokenFileAndItsOwnPort() {
    #expect(throws: ConfigError.self) {
      try Self.load(Self.minimal + "[admin]\nlisten = \"127.0.0.1:9465\"\n")
    }
    #expect(throws: ConfigError.self) {
      try Self.load(
        Self.minimal
          + "[metrics]\nlisten = \"127.0.0.1:9465\"\n[admin]\nlisten = \"127.0.0.1:9465\"\ntoken_file = \"t\"\n"
      )
    }
    #expect(throws: ConfigError.self) { try Self.load(Self.minimal + "[admin]\nevent_buffer = 1\n") }
    #expect(throws: ConfigError.self) { try Self.load(Self.minimal + "[admin]\nlisten = \"nope\"\n") }
  }

  @Test func ctlReadsOnlyTheAdminSection() throws {
    let settings = try SwitchConfig.loadAdminSettings(
      file: ConfigFile(parsing: "[admin]\nlisten = \"[::1]:9465\"\ntoken_file = \"t\"\n", path: "x.toml"),
      environment: [:])
    #expect(settings.listen?.host == "::1")
    #expect(settings.tokenFile == "t")
  }
}
