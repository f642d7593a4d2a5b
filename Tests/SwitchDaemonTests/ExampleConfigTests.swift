import SIPCore
import SwitchDaemon
import Testing

/// `etc/didtron-switch.toml` is what operators copy: it must load, name every
/// key, and show every default except the two the demo changes.
@Suite("etc/didtron-switch.toml")
struct ExampleConfigTests {
  static let path: String = {
    let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    return (components.dropLast(3) + ["etc", "didtron-switch.toml"]).joined(separator: "/")
  }()

  @Test func validatesAndKeepsTheDefaults() throws {
    let config = try SwitchConfig.load(file: ConfigFile(contentsOf: Self.path), environment: [:])
    var expected = SwitchConfig()
    expected.sip.listen = [
      Endpoint(transport: .udp, host: "127.0.0.1", port: 5070),
      Endpoint(transport: .tcp, host: "127.0.0.1", port: 5070),
    ]
    expected.proxy.nextHop = Endpoint(transport: .udp, host: "127.0.0.1", port: 5080)
    #expect(config == expected)
  }

  @Test func namesEveryKey() throws {
    let file = try ConfigFile(contentsOf: Self.path)
    #expect(file.entries.map(\.key) == ConfigKey.all.map(\.name))
  }
}
