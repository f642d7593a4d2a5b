/// A JSON value, written and read without Foundation (the admin API's
/// bodies and `didtron-switch ctl`'s reading of them). Objects keep their
/// keys' order.
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  /// Integers only: the API has no fractional numbers (money is text).
  case number(Int64)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): true
    case (.bool(let a), .bool(let b)): a == b
    case (.number(let a), .number(let b)): a == b
    case (.string(let a), .string(let b)): a == b
    case (.array(let a), .array(let b)): a == b
    case (.object(let a), .object(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
    default: false
    }
  }

  /// The member `key` of an object, nil otherwise.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == key }?.1
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  public var intValue: Int64? {
    if case .number(let value) = self { return value }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let values) = self { return values }
    return nil
  }

  /// Text for a table cell: strings as they are, null as "-".
  public var cellText: String {
    switch self {
    case .null: "-"
    case .bool(let value): value ? "yes" : "no"
    case .number(let value): "\(value)"
    case .string(let text): text
    case .array, .object: serialized
    }
  }

  /// Compact JSON text.
  public var serialized: String {
    var out = ""
    write(to: &out)
    return out
  }

  func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .number(let value): out += "\(value)"
    case .string(let text): Self.quote(text, into: &out)
    case .array(let values):
      out += "["
      for (index, value) in values.enumerated() {
        if index > 0 { out += "," }
        value.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (index, (key, value)) in members.enumerated() {
        if index > 0 { out += "," }
        Self.quote(key, into: &out)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }

  static func quote(_ text: String, into out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}

extension JSONValue {
  /// `.string` or `.null`.
  static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
  /// `.number` or `.null`.
  static func int(_ value: Int64?) -> JSONValue { value.map { .number($0) } ?? .null }
  static func int(_ value: Int?) -> JSONValue { value.map { .number(Int64($0)) } ?? .null }
}
