extension JSONValue {
  /// Compact JSON text: no white space, members in their order.
  public var serialized: String {
    var out = ""
    write(to: &out)
    return out
  }

  /// Appends the compact JSON text of the value to `out`.
  public func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .number(let value): out += "\(value)"
    case .string(let text): JSONEscaping.quote(text, into: &out)
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
        JSONEscaping.quote(key, into: &out)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }
}
