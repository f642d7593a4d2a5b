/// Small text helpers for header values (no Foundation).
enum HeaderText {
  /// `text` without leading and trailing spaces and tabs.
  static func trimmed<Text: StringProtocol>(_ text: Text) -> Substring {
    var slice = Substring(text)
    while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
    while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
    return slice
  }
}
