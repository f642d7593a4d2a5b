extension StringProtocol {
  /// The text without leading and trailing spaces and tabs (no Foundation needed).
  func trimmingWhitespace() -> Substring {
    var slice = self[...]
    while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
    while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
    return Substring(slice)
  }
}
