import ArgumentParser
import Glibc
import SwitchDaemon

/// The options that make up the effective configuration, shared by `run` and
/// `check-config` so that the check sees exactly what a run would use.
struct ConfigOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The configuration file (a TOML subset; see etc/).", valueName: "file"))
  var config: String?

  @Option(
    help: ArgumentHelp(
      "A socket to listen on; repeat for several. Replaces sip.listen.",
      valueName: "udp|tcp|tls:host:port"))
  var listen: [String] = []

  @Option(help: ArgumentHelp("The next SIP hop (proxy.next_hop).", valueName: "host:port[;transport=tcp]"))
  var nextHop: String?

  @Option(
    help: ArgumentHelp("trace|debug|info|notice|warning|error|critical (log.level).", valueName: "level"))
  var logLevel: String?

  @Option(
    help: ArgumentHelp("Timer C, the no-answer timeout (proxy.invite_timeout_seconds).", valueName: "seconds")
  )
  var inviteTimeout: Int?

  @Option(
    help: ArgumentHelp(
      "PostgreSQL (database.url): softswitch mode, routing from the database.", valueName: "url"))
  var databaseURL: String?

  @Option(
    help: ArgumentHelp(
      "Where finished calls are journalled before PostgreSQL (database.journal_directory).",
      valueName: "dir"))
  var journalDirectory: String?

  @Option(
    help: ArgumentHelp(
      "Serve GET /metrics and /health over HTTP here (metrics.listen).", valueName: "host:port"))
  var metricsListen: String?

  @Option(
    help: ArgumentHelp("Serve the admin HTTP API here (admin.listen).", valueName: "host:port"))
  var adminListen: String?

  @Option(help: ArgumentHelp("The admin API's bearer token file (admin.token_file).", valueName: "path"))
  var adminTokenFile: String?

  @Option(
    help: ArgumentHelp(
      "The TLS certificate chain, PEM, of tls: listeners (tls.certificate_file).", valueName: "file"))
  var tlsCertificate: String?

  @Option(
    help: ArgumentHelp("The TLS certificate's private key, PEM (tls.private_key_file).", valueName: "file"))
  var tlsPrivateKey: String?

  /// The command-line values, as overrides of their configuration keys.
  var overrides: [SwitchConfig.Override] {
    var overrides: [SwitchConfig.Override] = []
    if !listen.isEmpty {
      overrides.append(.init(key: "sip.listen", value: .strings(listen), origin: .commandLine("--listen")))
    }
    if let nextHop {
      overrides.append(
        .init(key: "proxy.next_hop", value: .string(nextHop), origin: .commandLine("--next-hop")))
    }
    if let logLevel {
      overrides.append(.init(key: "log.level", value: .string(logLevel), origin: .commandLine("--log-level")))
    }
    if let inviteTimeout {
      overrides.append(
        .init(
          key: "proxy.invite_timeout_seconds", value: .integer(inviteTimeout),
          origin: .commandLine("--invite-timeout")))
    }
    if let databaseURL {
      overrides.append(
        .init(key: "database.url", value: .string(databaseURL), origin: .commandLine("--database-url")))
    }
    if let journalDirectory {
      overrides.append(
        .init(
          key: "database.journal_directory", value: .string(journalDirectory),
          origin: .commandLine("--journal-directory")))
    }
    if let metricsListen {
      overrides.append(
        .init(
          key: "metrics.listen", value: .string(metricsListen), origin: .commandLine("--metrics-listen")))
    }
    if let adminListen {
      overrides.append(
        .init(key: "admin.listen", value: .string(adminListen), origin: .commandLine("--admin-listen")))
    }
    if let adminTokenFile {
      overrides.append(
        .init(
          key: "admin.token_file", value: .string(adminTokenFile), origin: .commandLine("--admin-token-file"))
      )
    }
    if let tlsCertificate {
      overrides.append(
        .init(
          key: "tls.certificate_file", value: .string(tlsCertificate),
          origin: .commandLine("--tls-certificate")))
    }
    if let tlsPrivateKey {
      overrides.append(
        .init(
          key: "tls.private_key_file", value: .string(tlsPrivateKey),
          origin: .commandLine("--tls-private-key")))
    }
    return overrides
  }

  /// The effective configuration: defaults < file < environment < flags.
  func effectiveConfig() throws(ConfigError) -> SwitchConfig {
    let file: ConfigFile? =
      if let config { try ConfigFile(contentsOf: config) } else { nil }
    return try SwitchConfig.load(file: file, environment: ProcessEnvironment.current, overrides: overrides)
  }
}

/// Prints a configuration error to stderr in the one-line form the operator sees.
func printToStandardError(_ message: String) {
  let line = Array((message + "\n").utf8)
  _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
