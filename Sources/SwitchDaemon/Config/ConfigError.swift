/// Why a configuration could not be loaded: the key it concerns (as
/// `section.key`), where the offending value came from, and what is wrong.
///
/// Its description is the line printed to the operator, for example
/// `didtron-switch.toml:7: proxy.next_hop: "127.0.0.1:99999" is not a valid host:port`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The `section.key` the error concerns; nil for a syntax error or an unreadable file.
  public var key: String?
  /// Where the value came from, when known.
  public var origin: ConfigOrigin?
  public var message: String

  public init(key: String? = nil, origin: ConfigOrigin? = nil, _ message: String) {
    self.key = key
    self.origin = origin
    self.message = message
  }

  public var description: String {
    var text = ""
    if let origin { text += "\(origin): " }
    if let key { text += "\(key): " }
    return text + message
  }
}

/// Where a configuration value was set.
public enum ConfigOrigin: Sendable, Equatable, CustomStringConvertible {
  /// A line (1-based) of a configuration file.
  case file(path: String, line: Int)
  /// An environment variable, by name.
  case environment(String)
  /// A command-line flag, such as `--next-hop`.
  case commandLine(String)

  public var description: String {
    switch self {
    case .file(let path, let line): "\(path):\(line)"
    case .environment(let name): "environment \(name)"
    case .commandLine(let flag): "option \(flag)"
    }
  }
}
