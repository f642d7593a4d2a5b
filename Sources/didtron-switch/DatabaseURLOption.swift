import ArgumentParser
import SwitchDaemon

/// The database URL of a subcommand that only needs PostgreSQL (`migrate`,
/// `rate`): `--database-url`, else DIDTRON_DATABASE_URL, else `database.url`
/// of `--config`, read by the daemon's own loader. A bad file or no URL is a
/// message on stderr and the configuration-error exit status.
enum DatabaseURLOption {
  static func resolve(config: String?, databaseURL: String?) throws -> String {
    let settings: SwitchConfig.DatabaseSettings
    do {
      let file: ConfigFile? = if let config { try ConfigFile(contentsOf: config) } else { nil }
      var overrides: [SwitchConfig.Override] = []
      if let databaseURL {
        overrides.append(
          .init(key: "database.url", value: .string(databaseURL), origin: .commandLine("--database-url")))
      }
      settings = try SwitchConfig.loadDatabaseSettings(
        file: file, environment: ProcessEnvironment.current, overrides: overrides)
    } catch {
      printToStandardError("didtron-switch: \(error)")
      throw ExitCode(Run.configurationErrorExitCode)
    }
    guard let url = settings.url else {
      printToStandardError(
        "didtron-switch: no database: give --database-url, set DIDTRON_DATABASE_URL, or database.url in --config"
      )
      throw ExitCode(Run.configurationErrorExitCode)
    }
    return url
  }
}
