import Logging
import Testing

@testable import Store

@Suite(
  "ReloadListener against PostgreSQL",
  .enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
struct ReloadListenerTests {
  static let logger = Logger(label: "test.reload")

  @Test func aBurstOfNotificationsIsOneCallAndAReconnectIsAnother() async throws {
    try await TestDatabase.with(migrated: false) { database in
      let triggers = Box<[ReloadListener.Trigger]>([])
      var configuration = ReloadListener.Configuration(databaseURL: database.url, channel: "didtron_reload")
      configuration.initialReconnectDelay = .milliseconds(5)
      let listener = ReloadListener(configuration: configuration, logger: Self.logger) { trigger in
        triggers.mutate { $0.append(trigger) }
      }
      listener.start()
      defer { listener.stop() }
      #expect(await eventually { listener.currentCounters.connections == 1 })

      let sender = try PGConnection(url: database.url)
      try sender.execute(script: "NOTIFY didtron_reload, 'a'; NOTIFY didtron_reload, 'b'")
      try sender.execute(script: "NOTIFY didtron_reload, 'c'")
      try sender.execute(script: "NOTIFY other_channel, 'x'")
      #expect(await eventually { triggers.value.count == 1 })
      #expect(triggers.value == [.notified(payloads: ["a", "b", "c"])])

      try sender.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(database.name) AND query LIKE 'LISTEN%'"
      )
      #expect(await eventually { triggers.value.count == 2 })
      #expect(triggers.value.last == .reconnected)
      #expect(listener.currentCounters.connections == 2)

      try sender.execute(script: "NOTIFY didtron_reload, 'd'")
      #expect(await eventually { triggers.value.count == 3 })
      #expect(triggers.value.last == .notified(payloads: ["d"]))
    }
  }

  @Test func stopsPromptlyWhileTheDatabaseIsDown() async {
    var configuration = ReloadListener.Configuration(
      databaseURL: "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2")
    configuration.initialReconnectDelay = .milliseconds(1)
    configuration.maxReconnectDelay = .seconds(60)
    let listener = ReloadListener(configuration: configuration, logger: Self.logger) { _ in }
    listener.start()
    #expect(await eventually { listener.currentCounters.connectionFailures >= 3 })
    listener.stop()
    #expect(listener.currentCounters.calls == 0)
  }
}
