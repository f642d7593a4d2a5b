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
    var text = text
    // Byte by byte (an offer can be most of a datagram): each line is looked
    // at once and copied once.
    let parsed = text.withUTF8 { bytes -> Bool in
      var start = 0
      while start < bytes.count {
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
        var lineEnd = end
        if lineEnd > start, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        defer { start = end + 1 }
        if lineEnd == start { continue }
        guard Self.isTypedLine(bytes, start, lineEnd) else { return false }
        let type = bytes[start]
        if sessionLines.isEmpty, type != UInt8(ascii: "v") { return false }
        let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), as: UTF8.self)
        if type == UInt8(ascii: "m") {
          guard let description = MediaDescription(mLine: line[...]) else { return false }
          media.append(description)
        } else if media.isEmpty {
          sessionLines.append(line)
        } else {
          media[media.count - 1].lines.append(line)
        }
      }
      return true
    }
    guard parsed, !sessionLines.isEmpty else { return nil }
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
  private static func isTypedLine(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
    guard end - start >= 2 else { return false }
    let letter = bytes[start] | 0x20
    return letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z") && bytes[start + 1] == UInt8(ascii: "=")
  }
}
