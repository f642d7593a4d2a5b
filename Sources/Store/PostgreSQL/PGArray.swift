/// PostgreSQL array literals in text form, for sending a column of values as
/// one bind (`$1::uuid[]`, then `unnest($1::uuid[], ...)`), so a multi-row
/// statement keeps a fixed text whatever the number of rows.
enum PGArray {
  /// `{"a","b",NULL}`: every element double-quoted with `"` and `\` escaped,
  /// nil as an unquoted `NULL`.
  static func literal(_ values: some Sequence<String?>) -> String {
    var text = "{"
    var first = true
    for value in values {
      if !first { text += "," }
      first = false
      guard let value else {
        text += "NULL"
        continue
      }
      text += "\""
      for character in value {
        if character == "\"" || character == "\\" { text += "\\" }
        text.append(character)
      }
      text += "\""
    }
    return text + "}"
  }

  static func literal(_ values: some Sequence<String>) -> String {
    literal(values.lazy.map { Optional($0) })
  }
}
