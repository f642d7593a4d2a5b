import JSON

extension JSONValue {
  /// Text for a `ctl` table cell: strings as they are, null as "-".
  public var cellText: String {
    switch self {
    case .null: "-"
    case .bool(let value): value ? "yes" : "no"
    case .number(let value): "\(value)"
    case .string(let text): text
    case .array, .object: serialized
    }
  }
}
