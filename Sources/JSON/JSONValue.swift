/// A JSON value (RFC 8259), without Foundation: the admin API's bodies,
/// `didtron-switch ctl`'s reading of them, and the `jsonb` columns the switch
/// reads. Objects keep their members in the order written (a repeated key is
/// kept twice).
///
/// Numbers are integers only: nothing the switch reads or writes as JSON is
/// fractional, and money travels as decimal text (a string), never as a
/// floating-point number. `JSONParser` refuses fractions and exponents.
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
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

  /// The member `key` of an object (the first of that name), nil otherwise.
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

  /// `.string` or `.null`.
  public static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
  /// `.number` or `.null`.
  public static func int(_ value: Int64?) -> JSONValue { value.map { .number($0) } ?? .null }
  public static func int(_ value: Int?) -> JSONValue { value.map { .number(Int64($0)) } ?? .null }
}
