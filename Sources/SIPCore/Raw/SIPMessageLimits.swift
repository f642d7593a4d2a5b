/// Caps on the shape of one inbound message, checked by a linear byte scan
/// before libosip2 sees it (docs/limits.md).
///
/// libosip2 appends every header value, list element and parameter to a
/// linked list by walking it from the start, so its work grows with the
/// square of their number: one 64 KB datagram of `Supported: x,x,...` cost
/// seconds of event-loop CPU (issue 15). Under these caps no message costs
/// more than a fraction of a millisecond (bench/ParseBench).
///
/// Counting is deliberately blunt, so that no way of writing a message gets
/// more list elements past the scan than it counts: every comma in a header
/// line starts a value (quoted or not), and every `;`, `?` or `&` in a value,
/// or in the Request-URI, starts a parameter (URI and header parameters,
/// URI headers). A quoted display name with commas in it costs a value or
/// two of a budget that real traffic never comes near. libosip2 also parses
/// a `multipart/*` body into parts, each with headers of its own: such a
/// body's lines count as header fields of the message, the same way.
public struct SIPMessageLimits: Sendable, Equatable {
  /// Header fields per message, each comma-separated value counted as a field
  /// of its own (libosip2 keeps each as one): `Allow: A, B, C` counts 3.
  public var headerFields: Int
  /// Comma-separated values in one header line (with its continuation lines).
  public var valuesPerHeader: Int
  /// Parameters in one header value, or in the Request-URI (`;`, `?`, `&`).
  public var parametersPerValue: Int
  /// Parameters in the whole message (header section and Request-URI).
  public var parametersPerMessage: Int
  /// `%` escapes in the Request-URI and the header section. libosip2 (5.3)
  /// unescapes a URI part with one `sscanf` per `%`, and each `sscanf`
  /// measures the rest of the string first: a URI of 17,000 `%5C` cost about
  /// 90 ms (found by the fuzzer).
  public var escapesPerMessage: Int
  /// Bytes in the Request-URI and the header section that libosip2 writes
  /// as a `%` escape when it serializes a URI: `\`, `^`, `` ` ``, `{`, `|`,
  /// `}` and every byte of a non-ASCII character. It writes each with one
  /// `sprintf`, so a Contact of 60,000 backslashes cost 15 ms to serialize,
  /// linear but far over budget (found by an hour of fuzzing). Counted
  /// anywhere in the header section (a quoted display name too): 1024 is
  /// hundreds of non-ASCII characters, far more than names take.
  public var escapedBytesPerMessage: Int

  public init(
    headerFields: Int = 256, valuesPerHeader: Int = 64, parametersPerValue: Int = 64,
    parametersPerMessage: Int = 1024, escapesPerMessage: Int = 256, escapedBytesPerMessage: Int = 1024
  ) {
    self.headerFields = headerFields
    self.valuesPerHeader = valuesPerHeader
    self.parametersPerValue = parametersPerValue
    self.parametersPerMessage = parametersPerMessage
    self.escapesPerMessage = escapesPerMessage
    self.escapedBytesPerMessage = escapedBytesPerMessage
  }

  /// The limit a message went over, with the reason phrase of its 400.
  public enum Excess: Equatable, Sendable {
    case headerFields, valuesPerHeader, parametersPerValue, parametersPerMessage, escapes
    /// More bytes that serializing a URI escapes than `escapedBytesPerMessage`.
    case escapedBytes
    /// A `multipart/*` body took the message over one of the limits.
    case multipartBody
    /// A body part names `content-type` twice in its headers: libosip2
    /// (5.3, `osip_body_set_contenttype`) would leak the first one.
    case duplicatePartContentType

    public var reasonPhrase: String {
      switch self {
      case .headerFields: "Too Many Headers"
      case .valuesPerHeader: "Too Many Header Values"
      case .parametersPerValue, .parametersPerMessage: "Too Many Parameters"
      case .escapes: "Too Many Escapes"
      case .escapedBytes: "Too Many Escaped Characters"
      case .multipartBody: "Too Many Body Parts"
      case .duplicatePartContentType: "Bad Multipart Body"
      }
    }
  }

  /// Whether a message this switch built itself (bytes it serialized, to be
  /// parsed again) is within the caps an inbound message must meet. libosip2
  /// escapes bytes of a URI when it serializes it (a `\\` in a user part
  /// leaves as `%5C`), so a message that came in under the escape cap can
  /// go over it once serialized: it must not be parsed again (issue 15, found
  /// by the fuzzer: 46,603 backslashes in a Contact, 43 ms to parse back).
  public func admits(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { firstExcess(in: $0, head: RawSIPHead(scanning: $0)) == nil }
  }

  /// The first limit `bytes` goes over, or `nil`. `head` is the scan of the
  /// same bytes: its start line and where its header section ends. One pass,
  /// constant work per byte.
  public func firstExcess(in bytes: UnsafeRawBufferPointer, head: RawSIPHead) -> Excess? {
    let headerEnd = min(head.bodyStart, bytes.count)
    // Every count is at most the number of bytes that count for anything: an
    // ordinary message has far fewer than the smallest cap, and this count
    // runs 16 bytes at a time. (A multipart body's counts add to the header
    // section's: such a message is counted in full.)
    let isMultipart = head.contentType.map { Self.isMultipart(bytes, $0) } ?? false
    if !isMultipart,
      Self.countedBytes(bytes, head.startLine.lowerBound..<headerEnd, upTo: smallestCap) < smallestCap
    {
      return nil
    }
    var counter = Counter()
    // The Request-URI's parameters (a status line has none of these bytes that count).
    for index in head.startLine {
      let byte = bytes[index]
      if Self.startsParameter(byte), let excess = counter.parameter(self) { return excess }
      if byte == UInt8(ascii: "%"), let excess = counter.escape(self) { return excess }
      if Self.byteClasses[Int(byte)] == ByteClass.escapedByte, let excess = counter.escapedByte(self) {
        return excess
      }
    }
    counter.valueParameters = 0
    if let excess = scan(bytes, head.startLine.upperBound..<headerEnd, &counter, escapes: true) {
      return excess
    }
    return firstBodyExcess(in: bytes, head: head, headerEnd: headerEnd, counter: counter)
  }

  /// The caps of a `multipart/*` body (whose lines count with the header
  /// section's), after the header section's `counter`.
  private func firstBodyExcess(
    in bytes: UnsafeRawBufferPointer, head: RawSIPHead, headerEnd: Int, counter: Counter
  ) -> Excess? {
    var counter = counter
    guard let type = head.contentType, Self.isMultipart(bytes, type), headerEnd < bytes.count else {
      return nil
    }
    // The body's first line is a header-like line too (a part boundary).
    counter.valueParameters = 0
    if scan(bytes, (headerEnd - 1)..<bytes.count, &counter, escapes: false) != nil { return .multipartBody }
    return Self.hasDuplicateContentType(bytes, headerEnd..<bytes.count) ? .duplicatePartContentType : nil
  }

  /// Whether `content-type` (any case, anywhere in a line) occurs twice in
  /// one stretch that could be one body part's headers: libosip2 reads every
  /// part header whose name starts with it as the part's Content-Type and,
  /// for a second one, loses the first without freeing it. Its part headers
  /// end at an empty line, and it refuses a header line without a colon, so
  /// a stretch ends at an empty line or at a line that starts with `--` and
  /// has no colon (a delimiter). libosip2 also ends lines at a lone CR and
  /// finds delimiters in mid-line, so occurrences are counted per stretch,
  /// not per line: a stretch can only be longer than the part's headers.
  private static func hasDuplicateContentType(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
    let word = Array("content-type".utf8)
    var matched = 0
    var found = 0
    var line = LineShape()
    for index in range {
      let byte = bytes[index]
      if byte == 10 {
        if line.isEmpty || line.isDelimiter { found = 0 }
        line = LineShape()
        continue
      }
      line.add(byte)
      let lower = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
      // `c` occurs in the word only at its start, so a mismatch restarts cleanly.
      matched = lower == word[matched] ? matched + 1 : (lower == word[0] ? 1 : 0)
      if matched == word.count {
        matched = 0
        found += 1
        if found > 1 { return true }
      }
    }
    return false
  }

  /// What `hasDuplicateContentType` needs to know of the line it is in.
  private struct LineShape {
    private var length = 0
    private var firstIsDash = false
    private var startsWithDashes = false
    private var hasColon = false
    private var lastIsCR = false

    /// Nothing, or only a CR, before its LF.
    var isEmpty: Bool { length == 0 || (length == 1 && lastIsCR) }
    /// Starts with `--` and has no colon.
    var isDelimiter: Bool { startsWithDashes && !hasColon }

    mutating func add(_ byte: UInt8) {
      if length == 0 { firstIsDash = byte == UInt8(ascii: "-") }
      if length == 1 { startsWithDashes = firstIsDash && byte == UInt8(ascii: "-") }
      if byte == UInt8(ascii: ":") { hasColon = true }
      lastIsCR = byte == 13
      length += 1
    }
  }

  /// Counts the lines (each starts a field unless it starts with whitespace),
  /// commas and parameter separators of `range`, which starts at a line end;
  /// with `escapes`, its `%` escapes too (libosip2 unescapes no body part).
  private func scan(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ counter: inout Counter, escapes: Bool
  ) -> Excess? {
    // One table load per byte: most bytes count for nothing.
    Self.byteClasses.withUnsafeBufferPointer { classes in
      var index = range.lowerBound
      let end = range.upperBound
      while index < end {
        let byteClass = classes[Int(bytes[index])]
        index += 1
        switch byteClass {
        case 0:
          continue
        case ByteClass.lineFeed:
          // A line that starts with whitespace continues the header before it
          // (RFC 3261 §7.3.1); an empty line starts nothing.
          guard index < end else { continue }
          let next = bytes[index]
          if next != 32, next != 9, next != 13, next != 10, let excess = counter.field(self) { return excess }
        case ByteClass.comma:
          if let excess = counter.value(self) { return excess }
        case ByteClass.parameter:
          if let excess = counter.parameter(self) { return excess }
        case ByteClass.escapedByte:
          if escapes, let excess = counter.escapedByte(self) { return excess }
        default:
          if escapes, let excess = counter.escape(self) { return excess }
        }
      }
      return nil
    }
  }

  /// The smallest cap: a message with fewer counted bytes is within them all.
  private var smallestCap: Int {
    min(
      headerFields, valuesPerHeader, parametersPerValue, parametersPerMessage, escapesPerMessage,
      escapedBytesPerMessage)
  }

  /// How many bytes of `range` are line feeds, commas, parameter separators,
  /// `%` or bytes a URI's serialization escapes, counting no further than
  /// `limit`; 16 bytes at a time.
  private static func countedBytes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, upTo limit: Int)
    -> Int
  {
    let lineFeed = SIMD16<UInt8>(repeating: 10)
    let comma = SIMD16<UInt8>(repeating: UInt8(ascii: ","))
    let semicolon = SIMD16<UInt8>(repeating: UInt8(ascii: ";"))
    let question = SIMD16<UInt8>(repeating: UInt8(ascii: "?"))
    let ampersand = SIMD16<UInt8>(repeating: UInt8(ascii: "&"))
    let percent = SIMD16<UInt8>(repeating: UInt8(ascii: "%"))
    let backslash = SIMD16<UInt8>(repeating: UInt8(ascii: "\\"))
    let caret = SIMD16<UInt8>(repeating: UInt8(ascii: "^"))
    let backtick = SIMD16<UInt8>(repeating: UInt8(ascii: "`"))
    // `{`, `|`, `}` are 0x7B...0x7D; bytes of 0x80 and above are non-ASCII.
    let braceLow = SIMD16<UInt8>(repeating: 0x7B)
    let braceHigh = SIMD16<UInt8>(repeating: 0x7D)
    let nonASCII = SIMD16<UInt8>(repeating: 0x80)
    let zero = SIMD16<UInt8>(repeating: 0)
    var count = 0
    var index = range.lowerBound
    while index + 16 <= range.upperBound, count < limit {
      let chunk = bytes.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
      let hits =
        (chunk .== lineFeed) .| (chunk .== comma) .| (chunk .== semicolon) .| (chunk .== question)
        .| (chunk .== ampersand) .| (chunk .== percent) .| (chunk .== backslash) .| (chunk .== caret)
        .| (chunk .== backtick) .| ((chunk .>= braceLow) .& (chunk .<= braceHigh)) .| (chunk .>= nonASCII)
      count += Int(zero.replacing(with: 1, where: hits).wrappedSum())
      index += 16
    }
    while index < range.upperBound {
      if byteClasses[Int(bytes[index])] != 0 { count += 1 }
      index += 1
    }
    return count
  }

  /// What a byte counts as in `scan` (0: nothing).
  private enum ByteClass {
    static let lineFeed: UInt8 = 1
    static let comma: UInt8 = 2
    static let parameter: UInt8 = 3
    static let escape: UInt8 = 4
    static let escapedByte: UInt8 = 5
  }

  private static let byteClasses: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 256)
    table[10] = ByteClass.lineFeed
    table[Int(UInt8(ascii: ","))] = ByteClass.comma
    for byte in ";?&".utf8 { table[Int(byte)] = ByteClass.parameter }
    table[Int(UInt8(ascii: "%"))] = ByteClass.escape
    for byte in "\\^`{|}".utf8 { table[Int(byte)] = ByteClass.escapedByte }
    for byte in 0x80...0xFF { table[byte] = ByteClass.escapedByte }
    return table
  }()

  private static func isMultipart(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
    let prefix = "multipart".utf8.count
    guard value.count >= prefix else { return false }
    return RawSIPHead.equalsLowercased(bytes, value.lowerBound..<(value.lowerBound + prefix), "multipart")
  }

  @inline(__always) private static func startsParameter(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: ";") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "&")
  }

  /// Running counts of one scan.
  private struct Counter {
    var fields = 0
    var lineValues = 0
    var valueParameters = 0
    var parameters = 0
    var escapes = 0
    var escapedBytes = 0

    /// A new header line.
    mutating func field(_ limits: SIPMessageLimits) -> Excess? {
      lineValues = 1
      valueParameters = 0
      fields += 1
      return fields > limits.headerFields ? .headerFields : nil
    }

    /// A comma: one more value on the line, and in the message.
    mutating func value(_ limits: SIPMessageLimits) -> Excess? {
      lineValues += 1
      valueParameters = 0
      fields += 1
      if lineValues > limits.valuesPerHeader { return .valuesPerHeader }
      return fields > limits.headerFields ? .headerFields : nil
    }

    mutating func parameter(_ limits: SIPMessageLimits) -> Excess? {
      valueParameters += 1
      parameters += 1
      if valueParameters > limits.parametersPerValue { return .parametersPerValue }
      return parameters > limits.parametersPerMessage ? .parametersPerMessage : nil
    }

    mutating func escape(_ limits: SIPMessageLimits) -> Excess? {
      escapes += 1
      return escapes > limits.escapesPerMessage ? .escapes : nil
    }

    mutating func escapedByte(_ limits: SIPMessageLimits) -> Excess? {
      escapedBytes += 1
      return escapedBytes > limits.escapedBytesPerMessage ? .escapedBytes : nil
    }
  }
}
