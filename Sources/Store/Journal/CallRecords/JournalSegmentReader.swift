import Billing

/// Reads the lines of one journal segment in order, a bounded batch at a
/// time, from a byte offset up to a limit (the size known to be fsync'd).
/// Reading does not consume: the caller advances `offset` to an entry's `end`
/// once it has dealt with the entry (inserted it, or set it aside).
struct JournalSegmentReader {
  /// One line of the segment and the offset just past its `\n`.
  struct Entry {
    enum Content {
      case record(CallRecord)
      /// A complete line that does not decode (damaged in the middle of a segment).
      case damaged(line: [UInt8], error: CallRecordLine.DecodingError)
    }

    var content: Content
    var end: Int
  }

  let segment: JournalSegment
  private let file: FileDescriptor
  /// The offset of the first line not yet dealt with.
  var offset: Int

  init(segment: JournalSegment, offset: Int = 0) throws {
    self.segment = segment
    self.file = try FileDescriptor.openForReading(segment.path)
    self.offset = offset
  }

  /// The file's current size.
  func size() throws -> Int { try file.size() }

  /// Up to `maxEntries` complete lines from `offset`, none extending past
  /// `limit`. Bytes before `limit` that end without a `\n` are not returned
  /// (a line still being written, or torn by a crash: see `tail(limit:)`).
  func entries(upTo limit: Int, maxEntries: Int) throws -> [Entry] {
    var entries: [Entry] = []
    var position = offset
    var chunkSize = 256 * 1024
    while entries.count < maxEntries && position < limit {
      let count = min(chunkSize, limit - position)
      let bytes = try file.read(at: position, count: count)
      if bytes.isEmpty { break }  // the file is shorter than we were told
      var lineStart = 0
      var index = 0
      var found = false
      while index < bytes.count && entries.count < maxEntries {
        if bytes[index] == UInt8(ascii: "\n") {
          found = true
          let line = bytes[lineStart..<index]
          let content: Entry.Content
          do {
            content = .record(try CallRecordLine.decode(line))
          } catch {
            content = .damaged(line: Array(line), error: error)
          }
          entries.append(Entry(content: content, end: position + index + 1))
          lineStart = index + 1
        }
        index += 1
      }
      if !found {
        // No complete line in this chunk: either the rest is a torn tail, or a
        // line longer than the chunk (only damage produces those): read more.
        if count == limit - position { break }
        chunkSize *= 2
        continue
      }
      position += lineStart
    }
    return entries
  }

  /// The number of bytes from `offset` to `limit` that are not part of a
  /// complete line; non-zero only for a segment whose last line was torn.
  func tailLength(limit: Int) throws -> Int {
    var position = offset
    var lastLineEnd = offset
    while position < limit {
      let bytes = try file.read(at: position, count: min(1 << 20, limit - position))
      if bytes.isEmpty { break }
      if let last = bytes.lastIndex(of: UInt8(ascii: "\n")) { lastLineEnd = position + last + 1 }
      position += bytes.count
    }
    return position - lastLineEnd
  }

  /// The number of complete lines from `offset` to `limit`.
  func lineCount(limit: Int) throws -> Int {
    var position = offset
    var lines = 0
    while position < limit {
      let bytes = try file.read(at: position, count: min(1 << 20, limit - position))
      if bytes.isEmpty { break }
      lines += bytes.count { $0 == UInt8(ascii: "\n") }
      position += bytes.count
    }
    return lines
  }
}
