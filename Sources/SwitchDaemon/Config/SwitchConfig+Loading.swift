extension SwitchConfig {
  /// A value given on the command line, which takes precedence over the file
  /// and the environment.
  public struct Override: Sendable, Equatable {
    /// `section.key`.
    public var key: String
    public var value: ConfigValue
    /// The flag it came from, for messages (`.commandLine("--next-hop")`).
    public var origin: ConfigOrigin

    public init(key: String, value: ConfigValue, origin: ConfigOrigin) {
      self.key = key
      self.value = value
      self.origin = origin
    }
  }

  /// The effective configuration: the defaults, then `file`, then the
  /// `DIDTRON_<SECTION>_<KEY>` variables of `environment`, then `overrides`,
  /// validated. A pure function: the caller reads the file and the process
  /// environment.
  ///
  /// Errors name the key and where its value came from. A key the file or the
  /// command line names but no `ConfigKey` knows is an error; so is an
  /// environment variable inside a section's namespace (`DIDTRON_PROXY_NEXTHOP`)
  /// that names no key. Other `DIDTRON_*` variables are left alone.
  public static func load(
    file: ConfigFile?, environment: [String: String], overrides: [Override] = []
  ) throws(ConfigError) -> SwitchConfig {
    let (config, origins) = try assemble(file: file, environment: environment, overrides: overrides)
    do {
      try config.validate()
    } catch var error {
      if error.origin == nil, let key = error.key { error.origin = origins[key] }
      throw error
    }
    return config
  }

  /// Only the `[database]` settings, from the same sources and with the same
  /// precedence as `load`, validated alone: what `didtron-switch migrate`
  /// needs, without requiring the keys a running switch needs. Keys of other
  /// sections are not looked at.
  public static func loadDatabaseSettings(
    file: ConfigFile?, environment: [String: String], overrides: [Override] = []
  ) throws(ConfigError) -> DatabaseSettings {
    let (config, origins) = try assemble(
      file: file, environment: environment, overrides: overrides, onlySection: "database")
    do {
      try config.validateDatabase()
    } catch var error {
      if error.origin == nil, let key = error.key { error.origin = origins[key] }
      throw error
    }
    return config.database
  }

  /// The defaults, then `file`, then the environment, then `overrides`,
  /// unvalidated, with where each key's value came from. With `onlySection`,
  /// keys of other sections are skipped rather than applied or checked.
  static func assemble(
    file: ConfigFile?, environment: [String: String], overrides: [Override], onlySection: String? = nil
  ) throws(ConfigError) -> (SwitchConfig, [String: ConfigOrigin]) {
    var config = SwitchConfig()
    var origins: [String: ConfigOrigin] = [:]

    func wanted(_ name: String) -> Bool {
      guard let onlySection else { return true }
      return name.hasPrefix(onlySection + ".")
    }

    func apply(_ name: String, _ value: ConfigValue, from origin: ConfigOrigin) throws(ConfigError) {
      guard let key = ConfigKey.named(name) else {
        throw ConfigError(key: name, origin: origin, "unknown key")
      }
      guard value.kind == key.kind else {
        throw ConfigError(key: name, origin: origin, "expected \(key.kind), found \(value.kind) \(value)")
      }
      do {
        try key.set(&config, value)
      } catch let error as ConfigError {
        throw ConfigError(key: name, origin: origin, error.message)
      } catch {
        throw ConfigError(key: name, origin: origin, "\(error)")
      }
      origins[name] = origin
    }

    if let file {
      for entry in file.entries where wanted(entry.key) {
        try apply(entry.key, entry.value, from: .file(path: file.path, line: entry.line))
      }
    }

    let sections = ConfigKey.all.filter { wanted($0.name) }.map(\.section)
    let sectionPrefixes = Set(sections.map { "DIDTRON_\($0.uppercased())_" })
    for variable in environment.keys.sorted()
    where sectionPrefixes.contains(where: variable.hasPrefix) && !ConfigKey.clientVariables.contains(variable)
    {
      guard let key = ConfigKey.all.first(where: { $0.environmentName == variable }) else {
        throw ConfigError(
          origin: .environment(variable), "names no configuration key (see etc/didtron-switch.toml)")
      }
      let text = environment[variable]!
      guard let value = ConfigValue(text: text, as: key.kind) else {
        throw ConfigError(
          key: key.name, origin: .environment(variable),
          "expected \(key.kind), found \(ConfigValue.quote(text))")
      }
      try apply(key.name, value, from: .environment(variable))
    }

    for override in overrides where wanted(override.key) {
      try apply(override.key, override.value, from: override.origin)
    }
    return (config, origins)
  }

  /// The configuration written as a file in the TOML subset, one line per key,
  /// which `load(file:environment:)` reads back to an equal value.
  public var tomlText: String { tomlText(redactingSecrets: false) }

  /// `tomlText`, with the password of `database.url` replaced by `***` when
  /// `redactingSecrets` (what `check-config` prints).
  public func tomlText(redactingSecrets: Bool) -> String {
    var text = ""
    var section = ""
    for key in ConfigKey.all {
      if key.section != section {
        section = key.section
        text += (text.isEmpty ? "" : "\n") + "[\(section)]\n"
      }
      var value = key.get(self)
      if redactingSecrets, key.name == "database.url", case .string(let url) = value {
        value = .string(SecretRedaction.databaseURL(url))
      }
      text += "\(key.name.dropFirst(section.count + 1)) = \(value)\n"
    }
    return text
  }
}

extension ConfigFile {
  /// Reads and parses the file at `path`.
  public init(contentsOf path: String) throws(ConfigError) {
    try self.init(parsing: Self.readText(atPath: path), path: path)
  }
}
