/// An SDP session description (RFC 8866, formerly RFC 4566), kept line by line
/// so that what is not edited is written back as it came.
///
/// Lossless for well-formed SDP: `text` gives back the input with CRLF line
/// ends, except that empty lines are dropped and each `m=` line is rebuilt
/// from its fields (one space between fields).
public struct SessionDescription: Sendable, Equatable {
  /// Every line before the first `m=` line (`v=`, `o=`, `s=`, `c=`, `t=`, `a=` ...), without CRLF.
  public var sessionLines: [String]
  /// The media descriptions in order.
  public var media: [MediaDescription]

  public init(sessionLines: [String], media: [MediaDescription]) {
    self.sessionLines = sessionLines
    self.media = media
  }

  /// Parses SDP text with CRLF or LF line ends; `nil` when the text is not SDP:
  /// the first line is not `v=`, a line is not `<letter>=<value>`, or an `m=`
  /// line lacks its media, port or protocol.
  public init?(parsing text: String) {
    var sessionLines: [String] = []
    var media: [MediaDescription] = []
    // Split on the byte LF: as Characters, CRLF is one grapheme and no "\n".
    for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      let bytes = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
      if bytes.isEmpty { continue }
      let line = Substring(bytes)
      guard Self.isTypedLine(line) else { return nil }
      if sessionLines.isEmpty {
        guard line.hasPrefix("v=") else { return nil }
      }
      if line.hasPrefix("m=") {
        guard let description = MediaDescription(mLine: line) else { return nil }
        media.append(description)
      } else if media.isEmpty {
        sessionLines.append(String(line))
      } else {
        media[media.count - 1].lines.append(String(line))
      }
    }
    guard !sessionLines.isEmpty else { return nil }
    self.init(sessionLines: sessionLines, media: media)
  }

  /// Parses a message body; `nil` when it is not UTF-8 or not SDP.
  public init?(bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    // Invalid UTF-8 would come back with U+FFFD in place: not ours to rewrite.
    guard text.utf8.elementsEqual(bytes) else { return nil }
    self.init(parsing: text)
  }

  /// The description with CRLF after every line.
  public var text: String {
    var text = ""
    for line in sessionLines { text += line + "\r\n" }
    for description in media {
      text += description.mLine + "\r\n"
      for line in description.lines { text += line + "\r\n" }
    }
    return text
  }

  /// `text` as UTF-8 bytes, ready for a message body.
  public var bytes: [UInt8] { Array(text.utf8) }

  /// `<type>=` with a one-letter type (RFC 8866 §5).
  private static func isTypedLine(_ line: Substring) -> Bool {
    let utf8 = line.utf8
    guard utf8.count >= 2, let first = utf8.first else { return false }
    let isLetter =
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
      || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first)
    return isLetter && utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "=")
  }
}
