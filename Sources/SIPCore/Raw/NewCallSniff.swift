/// Tells from a message's raw bytes, before any parse, whether it may start
/// a call: an INVITE whose To header has no tag (RFC 3261 §12.1: a request
/// outside a dialog), or a CANCEL (which must stay behind the INVITE it
/// cancels). The switch's core reads such requests into a queue of their own
/// and handles every other message first (docs/overload.md, "What waits").
///
/// Only a priority hangs on the answer, never how a message is handled: a
/// re-INVITE whose To tag this scan misses waits with the new calls, and a
/// new INVITE it takes for a re-INVITE goes first; either is then parsed and
/// handled as it is. The scan is linear and stops at the end of the header
/// section.
public enum NewCallSniff {
  /// Whether `bytes` begin with `INVITE ` without a To tag, or with `CANCEL `.
  public static func mayStartCall(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count > 7 else { return false }
    if startsWith(bytes, "CANCEL ") { return true }
    guard startsWith(bytes, "INVITE ") else { return false }
    return !toHeaderHasTag(bytes)
  }

  /// Whether `bytes` begin with `INVITE ` (the stateless 503 answers nothing else).
  public static func isInvite(_ bytes: UnsafeRawBufferPointer) -> Bool { startsWith(bytes, "INVITE ") }

  private static func startsWith(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
    let count = prefix.utf8CodeUnitCount
    guard bytes.count >= count else { return false }
    let start = prefix.utf8Start
    for index in 0..<count where bytes[index] != start[index] { return false }
    return true
  }

  /// Finds the first To (or `t`) header line and looks for `;tag=` in it
  /// (and in its continuation lines), with the whitespace RFC 3261's SEMI
  /// and EQUAL allow.
  private static func toHeaderHasTag(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var index = 0
    let end = bytes.count
    // Skip the request line.
    while index < end, bytes[index] != lf { index += 1 }
    index += 1
    while index < end {
      // `index` is at the start of a line.
      if bytes[index] == cr || bytes[index] == lf { return false }  // end of the header section
      if let valueStart = toHeaderValue(bytes, at: index) {
        return lineHasTag(bytes, from: valueStart)
      }
      while index < end, bytes[index] != lf { index += 1 }
      index += 1
    }
    return false
  }

  /// If the line at `index` is a To header, where its value starts.
  private static func toHeaderValue(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
    var index = start
    guard bytes[index] | 0x20 == UInt8(ascii: "t") else { return nil }
    index += 1
    if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "o") { index += 1 }
    while index < bytes.count, bytes[index] == space || bytes[index] == tab { index += 1 }
    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
    return index + 1
  }

  /// Whether the header value from `start` (to its line end, continuation
  /// lines included) has a parameter named `tag` followed by `=`, outside a
  /// quoted display name and the `<...>` URI (whose parameters are the URI's).
  private static func lineHasTag(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Bool {
    var index = start
    let end = bytes.count
    var quoted = false
    var inURI = false
    while index < end {
      let byte = bytes[index]
      if byte == lf {
        // A continuation line starts with whitespace; anything else ends the header.
        guard index + 1 < end, bytes[index + 1] == space || bytes[index + 1] == tab else { return false }
      } else if quoted {
        if byte == UInt8(ascii: "\\") {
          index += 1
        } else if byte == UInt8(ascii: "\"") {
          quoted = false
        }
      } else if byte == UInt8(ascii: "\"") {
        quoted = true
      } else if byte == UInt8(ascii: "<") {
        inURI = true
      } else if byte == UInt8(ascii: ">") {
        inURI = false
      } else if !inURI, byte == UInt8(ascii: ";"), isTagParameter(bytes, after: index + 1) {
        return true
      }
      index += 1
    }
    return false
  }

  private static func isTagParameter(_ bytes: UnsafeRawBufferPointer, after start: Int) -> Bool {
    var index = skipWhitespace(bytes, from: start)
    for letter in [UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "g")] {
      guard index < bytes.count, bytes[index] | 0x20 == letter else { return false }
      index += 1
    }
    index = skipWhitespace(bytes, from: index)
    return index < bytes.count && bytes[index] == UInt8(ascii: "=")
  }

  private static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    var index = start
    while index < bytes.count, bytes[index] == space || bytes[index] == tab { index += 1 }
    return index
  }

  private static let cr = UInt8(ascii: "\r")
  private static let lf = UInt8(ascii: "\n")
  private static let space = UInt8(ascii: " ")
  private static let tab = UInt8(ascii: "\t")
}
