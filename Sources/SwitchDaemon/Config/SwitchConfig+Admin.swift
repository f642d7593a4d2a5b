import SIPCore

extension SwitchConfig {
  /// `[admin]`: the admin HTTP API, `didtron-switch ctl` and the call
  /// event stream (docs/admin.md).
  public struct AdminSettings: Sendable, Equatable {
    /// `admin.listen`: `HOST:PORT` of the admin API; empty (the default)
    /// turns it off. Keep it on loopback or a management network.
    public var listen: Endpoint?
    /// `admin.token_file`: a file whose first line is the bearer token every
    /// request must carry. Required with `admin.listen`; the switch refuses
    /// to start when the file is readable by other users (mode & 0o004).
    public var tokenFile = ""
    /// `admin.state_file`: where drained trunks are kept across restarts
    /// (JSON); empty: kept across reloads only, in memory.
    public var stateFile = ""
    /// `admin.max_event_subscribers`: `GET /v1/events` streams at once; more
    /// get 503. Default 100.
    public var maxEventSubscribers = 100
    /// `admin.event_buffer`: events a subscriber may have unsent before it is
    /// disconnected (a slow reader never slows calls). Default 1024.
    public var eventBuffer = 1024

    public init() {}
  }

  func validateAdmin() throws(ConfigError) {
    try requireInRanges([
      ("admin.max_event_subscribers", admin.maxEventSubscribers, 0...100_000),
      ("admin.event_buffer", admin.eventBuffer, 16...1_000_000),
    ])
    guard let listen = admin.listen else { return }
    if admin.tokenFile.isEmpty {
      throw fail("admin.token_file", "must be set when admin.listen is (bearer token of the admin API)")
    }
    if let metrics = metrics.listen, metrics.port != 0, metrics.host == listen.host,
      metrics.port == listen.port
    {
      throw fail("admin.listen", "\(listen.hostPort) is also metrics.listen")
    }
  }
}

extension ConfigKey {
  /// Variables in a section's namespace that are not configuration keys:
  /// `didtron-switch ctl`'s (docs/admin.md), left alone by the daemon.
  static let clientVariables: Set<String> = ["DIDTRON_ADMIN_URL"]
}

extension SwitchConfig {
  /// Only the `[admin]` settings, from the same sources and precedence as
  /// `load`: what `didtron-switch ctl` needs to find the switch.
  public static func loadAdminSettings(
    file: ConfigFile?, environment: [String: String]
  ) throws(ConfigError) -> AdminSettings {
    let (config, _) = try assemble(file: file, environment: environment, overrides: [], onlySection: "admin")
    return config.admin
  }
}
