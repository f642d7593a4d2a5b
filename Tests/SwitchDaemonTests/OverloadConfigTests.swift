import Proxy
import Testing

@testable import SwitchDaemon

@Suite("[overload]: defaults, loading, validation")
struct OverloadConfigTests {
  static let minimal = "[proxy]\nnext_hop = \"127.0.0.1:5080\"\n"

  static func load(_ text: String, environment: [String: String] = [:]) throws -> SwitchConfig {
    try SwitchConfig.load(file: ConfigFile(parsing: text, path: "test.toml"), environment: environment)
  }

  @Test func defaultsShedOnlyUnderLoadAndSendNoServerHeader() {
    let config = SwitchConfig()
    #expect(config.overload.maxLoopLagMs == 200)
    #expect(config.overload.maxQueueDelayMs == 10)
    #expect(config.overload.maxLoopBusyPercent == 0)
    #expect(config.overload.minInvitesPerSecond == 10)
    #expect(config.overload.settings.minInvitesPerSecond == 10)
    #expect(config.overload.maxInvitesPerSecond == 0)
    #expect(config.overload.maxInvitesPerSourcePerSecond == 0)
    #expect(config.overload.unknownSourceRequestsPerSecond == 5)
    #expect(config.overload.retryAfterSeconds == 5)
    #expect(config.overload.logIntervalSeconds == 60)
    #expect(config.overload.maxTrackedSources == 16_384)
    #expect(config.proxy.serverHeader == "")
  }

  @Test func fileThenEnvironment() throws {
    let config = try Self.load(
      Self.minimal
        + "[overload]\nmax_invites_per_second = 500\nmax_loop_lag_ms = 0\nlog_interval_seconds = 10\n",
      environment: ["DIDTRON_OVERLOAD_MAX_INVITES_PER_SOURCE_PER_SECOND": "20"])
    #expect(config.overload.maxInvitesPerSecond == 500)
    #expect(config.overload.maxLoopLagMs == 0)
    #expect(config.overload.maxInvitesPerSourcePerSecond == 20)
    #expect(config.overload.logIntervalSeconds == 10)
  }

  @Test func theAdmissionFloorReachesTheGuard() throws {
    let config = try Self.load(
      Self.minimal + "[overload]\nmin_invites_per_second = 50\n",
      environment: ["DIDTRON_OVERLOAD_MAX_QUEUE_DELAY_MS": "5"])
    #expect(config.overload.minInvitesPerSecond == 50)
    let overload = OverloadGuard(settings: config.overload.settings)
    #expect(overload.settings.maxQueueDelayMs == 5)
    #expect(overload.admission.minRate == 50)
  }

  @Test(arguments: [
    ("max_loop_busy_percent = 101", "overload.max_loop_busy_percent: must be between 0 and 100 (got 101)"),
    (
      "max_invites_per_second = -1", "overload.max_invites_per_second: must be between 0 and 1000000 (got -1)"
    ),
    ("min_invites_per_second = 0", "overload.min_invites_per_second: must be between 1 and 1000000 (got 0)"),
    ("retry_after_seconds = 0", "overload.retry_after_seconds: must be between 1 and 86400 (got 0)"),
    ("max_tracked_sources = 0", "overload.max_tracked_sources: must be between 1 and 10000000 (got 0)"),
  ])
  func outOfRangeValuesAreRefusedNamingTheKey(line: String, message: String) {
    #expect(throws: ConfigError.self) { try Self.load(Self.minimal + "[overload]\n" + line + "\n") }
    do {
      _ = try Self.load(Self.minimal + "[overload]\n" + line + "\n")
    } catch {
      #expect("\(error)".hasSuffix(message), "\(error)")
    }
  }
}
