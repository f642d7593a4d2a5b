/// One segment file of the call-record journal: `calls-<seq>.journal`, where
/// `<seq>` is a decimal sequence number (written zero-padded to 12 digits so
/// that `ls` lists segments in order; any number of digits is read). Segments
/// are replayed in sequence order.
public struct JournalSegment: Comparable, Hashable, Sendable {
  public var sequence: UInt64
  /// The segment's full path.
  public var path: String

  /// The segment numbered `sequence` in `directory`, under the name this
  /// build writes (`fileName(_:)`).
  public init(sequence: UInt64, directory: String) {
    self.init(sequence: sequence, path: directory + "/" + Self.fileName(sequence))
  }

  public init(sequence: UInt64, path: String) {
    self.sequence = sequence
    self.path = path
  }

  static let prefix = "calls-"
  static let suffix = ".journal"

  /// `calls-000000000042.journal` for 42.
  public static func fileName(_ sequence: UInt64) -> String {
    let digits = String(sequence)
    return prefix + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + suffix
  }

  /// The sequence number of a segment file name; nil for any other name.
  public static func sequence(ofFileName name: String) -> UInt64? {
    guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
    let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return UInt64(digits)
  }

  /// Every segment in `directory`, in sequence (replay) order.
  public static func all(in directory: String) throws -> [JournalSegment] {
    try Directory.entries(directory)
      .compactMap { name in
        sequence(ofFileName: name).map { JournalSegment(sequence: $0, path: directory + "/" + name) }
      }
      .sorted()
  }

  public static func < (a: JournalSegment, b: JournalSegment) -> Bool { a.sequence < b.sequence }
}
