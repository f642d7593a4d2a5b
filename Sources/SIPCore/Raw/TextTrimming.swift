extension StringProtocol {
  /// The text without leading and trailing spaces and tabs, and also line
  /// breaks (CR, LF, CRLF) when `lineBreaks` (no Foundation needed): the one
  /// trimmer of header values (SIPCore) and settings text (Policy).
  public func trimmingWhitespace(lineBreaks: Bool = false) -> Substring {
    var slice = self[...]
    while let first = slice.first, Self.isWhitespace(first, lineBreaks) { slice = slice.dropFirst() }
    while let last = slice.last, Self.isWhitespace(last, lineBreaks) { slice = slice.dropLast() }
    return Substring(slice)
  }

  private static func isWhitespace(_ character: Character, _ lineBreaks: Bool) -> Bool {
    character == " " || character == "\t"
      || (lineBreaks && (character == "\n" || character == "\r" || character == "\r\n"))
  }
}
