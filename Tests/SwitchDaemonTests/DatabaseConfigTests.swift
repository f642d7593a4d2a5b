import SwitchDaemon
import Testing

@Suite("[database]: loading, validation, migrate's partial load, redaction")
struct DatabaseConfigTests {
  static let minimal = "[proxy]\nnext_hop = \"127.0.0.1:5080\"\n"

  static func load(_ text: String?, environment: [String: String] = [:]) throws -> SwitchConfig {
    let file = try text.map { try ConfigFile(parsing: $0, path: "test.toml") }
    return try SwitchConfig.load(file: file, environment: environment)
  }

  @Test func fileThenEnvironment() throws {
    let config = try Self.load(
      Self.minimal + """
        [database]
        url = "postgresql://switch@db.example.net/didtron"
        journal_directory = "/srv/journal"
        notify_channel = "reload_2"
        writer_batch_size = 1000
        """,
      environment: [
        "DIDTRON_DATABASE_URL": "host=10.0.0.9 dbname=didtron", "DIDTRON_DATABASE_WRITER_BATCH_SIZE": "50",
      ])
    #expect(config.database.url == "host=10.0.0.9 dbname=didtron")
    #expect(config.database.journalDirectory == "/srv/journal")
    #expect(config.database.notifyChannel == "reload_2")
    #expect(config.database.writerBatchSize == 50)
  }

  @Test func anEmptyURLIsProxyMode() throws {
    let config = try Self.load(Self.minimal + "[database]\nurl = \"\"\n")
    #expect(config.database.url == nil)
  }

  @Test(arguments: [
    (
      "[database]\nurl = \"postgresql://db/x?bogus=1\"",
      "test.toml:4: database.url: is not a postgresql:// URI or conninfo string: invalid URI query parameter: \"bogus\""
    ),
    (
      "[database]\nurl = \"localhost\"",
      "test.toml:4: database.url: is not a postgresql:// URI or conninfo string: missing \"=\" after \"localhost\" in connection info string"
    ),
    (
      "[database]\njournal_directory = \"journal\"",
      "test.toml:4: database.journal_directory: must be an absolute path (got \"journal\")"
    ),
    (
      "[database]\nnotify_channel = \"Reload-Now\"",
      "test.toml:4: database.notify_channel: \"Reload-Now\" is not a channel name (lower-case letters, digits and _, at most 63)"
    ),
    (
      "[database]\nwriter_batch_size = 0",
      "test.toml:4: database.writer_batch_size: must be between 1 and 2000 (got 0)"
    ),
    ("[database]\nurl = 5", "test.toml:4: database.url: expected a string, found an integer 5"),
  ])
  func rejects(_ text: String, _ message: String) {
    #expect {
      try Self.load(Self.minimal + text)
    } throws: { error in
      (error as? ConfigError)?.description == message
    }
  }

  @Test func environmentErrorsNameTheVariable() {
    #expect {
      try Self.load(Self.minimal, environment: ["DIDTRON_DATABASE_WRITER_BATCH_SIZE": "9999"])
    } throws: { error in
      (error as? ConfigError)?.description
        == "environment DIDTRON_DATABASE_WRITER_BATCH_SIZE: database.writer_batch_size: must be between 1 and 2000 (got 9999)"
    }
  }

  /// `migrate` needs only [database]: other sections are neither required nor checked.
  @Test func migrateLoadsOnlyTheDatabaseSection() throws {
    let file = try ConfigFile(
      parsing: "[proxy]\nnext_hop = \"\"\nbogus = 1\n[database]\nurl = \"postgresql://a@b/c\"\n",
      path: "t.toml")
    let settings = try SwitchConfig.loadDatabaseSettings(
      file: file, environment: ["DIDTRON_PROXY_NEXTHOP": "x"],
      overrides: [
        .init(
          key: "database.url", value: .string("postgresql://x@y/z"), origin: .commandLine("--database-url"))
      ])
    #expect(settings.url == "postgresql://x@y/z")
    #expect(throws: ConfigError.self) {
      try SwitchConfig.loadDatabaseSettings(
        file: try ConfigFile(parsing: "[database]\nurls = \"\"\n", path: "t.toml"), environment: [:])
    }
  }

  @Test(arguments: [
    (
      "postgresql://switch:s3cret@db:5432/didtron?sslmode=require",
      "postgresql://switch:***@db:5432/didtron?sslmode=require"
    ),
    (
      "postgresql://switch@db/didtron?password=s3cret&sslmode=require",
      "postgresql://switch@db/didtron?password=***&sslmode=require"
    ),
    ("postgresql://db/didtron", "postgresql://db/didtron"),
    ("host=db password=s3cret user=switch", "host=db password=*** user=switch"),
    ("host=db password = 'se cr\\'et' user=switch", "host=db password = *** user=switch"),
  ])
  func checkConfigHidesPasswords(_ url: String, _ shown: String) throws {
    var config = try Self.load(Self.minimal)
    config.database.url = url
    #expect(config.tomlText(redactingSecrets: true).contains("url = \(ConfigValueText.quote(shown))"))
    #expect(try Self.load(config.tomlText) == config)
  }
}

/// TOML quoting as the rendered configuration does it (for the expectations above).
enum ConfigValueText {
  static func quote(_ text: String) -> String { ConfigValue.string(text).description }
}
