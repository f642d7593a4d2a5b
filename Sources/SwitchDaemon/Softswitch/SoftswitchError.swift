import Store

/// Why softswitch mode cannot start.
enum SoftswitchError: Error, CustomStringConvertible {
  case noDatabase
  case schema(SchemaVersion)

  var description: String {
    switch self {
    case .noDatabase: "database.url is not set"
    case .schema(let version): "\(version)"
    }
  }
}
