/// The one place JSON string literals are written (RFC 8259 §7): `"` and `\`
/// escaped, line feed, carriage return and tab as `\n`, `\r`, `\t`, other
/// control characters (below U+0020) as `\u00XX` in lower-case hex; every
/// other character, non-ASCII included, as it is (UTF-8).
public enum JSONEscaping {
  /// `text` as a JSON string literal, quotes included.
  public static func quoted(_ text: String) -> String {
    var out = ""
    quote(text, into: &out)
    return out
  }

  /// Appends `text` as a JSON string literal, quotes included, to `out`.
  public static func quote(_ text: String, into out: inout String) {
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
