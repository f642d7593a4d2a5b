import SIPCore

/// Option-tag lists (Supported, Require, Proxy-Require, Unsupported; RFC 3261 §19.2):
/// comma-separated across one or more header values, compared case-insensitively.
public enum OptionTags {
  /// The tags of all `values`, lower-cased, in order, without empties and repeats.
  public static func parse(_ values: [String]) -> [String] {
    var tags: [String] = []
    for tag in split(values) {
      let lower = tag.lowercased()
      if !tags.contains(lower) { tags.append(lower) }
    }
    return tags
  }

  /// The header value left after taking `tag` out of `values` (the other tags as
  /// written, joined by ", "); `nil` when nothing is left (then remove the header).
  public static func removing(_ tag: String, from values: [String]) -> String? {
    let lower = tag.lowercased()
    let kept = split(values).filter { $0.lowercased() != lower }
    return kept.isEmpty ? nil : kept.joined(separator: ", ")
  }

  public static func contains(_ tag: String, in values: [String]) -> Bool {
    let lower = tag.lowercased()
    return split(values).contains { $0.lowercased() == lower }
  }

  private static func split(_ values: [String]) -> [Substring] {
    values.flatMap { value in
      value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }
  }
}
