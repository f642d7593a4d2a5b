/// Where a forwarding rule sends the call: a number (routed out through the
/// routing plans as a call of the DID's owner) or a SIP URI.
public enum CallForwardTarget: Sendable, Equatable {
  case number(String)
  case uri(String)

  /// `forward_to` as written: `sip:` / `sips:` (any case) is a URI; else,
  /// after an optional `+` and visual separators (space, `-`, `.`, `(`,
  /// `)`), 3 to 20 digits are a number. Anything else is nil (refused).
  public init?(_ text: String) {
    let trimmed = text.trimmingSpaces
    let lower = trimmed.lowercased()
    if lower.hasPrefix("sip:") || lower.hasPrefix("sips:") {
      guard trimmed.contains("@"), !trimmed.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" })
      else { return nil }
      self = .uri(trimmed)
      return
    }
    var digits = ""
    for (index, character) in trimmed.enumerated() {
      if character == "+", index == 0 { continue }
      if " -.()".contains(character) { continue }
      guard character.isASCII, character.isNumber else { return nil }
      digits.append(character)
    }
    guard (3...20).contains(digits.count) else { return nil }
    self = .number(digits)
  }
}

extension String {
  fileprivate var trimmingSpaces: String {
    var text = Substring(self)
    while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
    while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
    return String(text)
  }
}
