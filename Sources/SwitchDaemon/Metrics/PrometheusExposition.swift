/// Writes metric families in the Prometheus text exposition format 0.0.4
/// (what `GET /metrics` answers): `# HELP`, `# TYPE`, then one line per
/// sample, `name{label="value",…} value`.
public enum PrometheusExposition {
  /// The Content-Type of the text format.
  public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  public static func render(_ families: [MetricFamily]) -> String {
    var text = ""
    text.reserveCapacity(families.count * 120)
    for family in families {
      text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
      text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
      for sample in family.samples {
        text += family.name
        text += sample.suffix
        if !sample.labels.isEmpty {
          text += "{"
          text += sample.labels.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",")
          text += "}"
        }
        text += " \(sample.value)\n"
      }
    }
    return text
  }

  /// HELP text: backslash and line feed escaped.
  static func escapeHelp(_ text: String) -> String { escape(text, quotes: false) }

  /// Label values: backslash, double quote and line feed escaped.
  static func escapeLabelValue(_ text: String) -> String { escape(text, quotes: true) }

  private static func escape(_ text: String, quotes: Bool) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
      case "\n": out.append(contentsOf: "\\n".unicodeScalars)
      case "\"" where quotes: out.append(contentsOf: "\\\"".unicodeScalars)
      default: out.append(scalar)
      }
    }
    return String(out)
  }
}
