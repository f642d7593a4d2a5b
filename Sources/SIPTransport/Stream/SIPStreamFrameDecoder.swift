import NIOCore

/// What a SIP stream carries between two frame boundaries.
public enum SIPStreamFrame: Sendable, Hashable {
  /// One SIP message: header block, the empty line, and Content-Length bytes of body.
  case message(ByteBuffer)
  /// A double-CRLF ping (RFC 5626 §3.5.1), to be answered with a single CRLF.
  case keepalive
}

/// Why a stream cannot be framed any further. Each of these closes the connection.
public enum SIPStreamFramingError: Error, Hashable, CustomStringConvertible {
  /// No end of the header block (CRLFCRLF) within the size limit.
  case headerTooLarge(limit: Int)
  /// RFC 3261 §18.3: Content-Length is mandatory on a stream.
  case missingContentLength
  /// A Content-Length value that is not a non-negative decimal number.
  case invalidContentLength(String)
  /// Two Content-Length headers with different values.
  case conflictingContentLength(Int, Int)
  /// Header block plus body larger than the limit.
  case messageTooLarge(size: Int, limit: Int)

  public var description: String {
    switch self {
    case .headerTooLarge(let limit): "no end of header block within \(limit) bytes"
    case .missingContentLength: "stream message without Content-Length"
    case .invalidContentLength(let value): "invalid Content-Length \"\(value)\""
    case .conflictingContentLength(let a, let b): "conflicting Content-Length \(a) and \(b)"
    case .messageTooLarge(let size, let limit): "message of \(size) bytes over the limit of \(limit)"
    }
  }
}

/// Frames a SIP byte stream (TCP, TLS) into messages by Content-Length (RFC 3261 §18.3).
///
/// Between messages it skips stray CRLFs and reports a double CRLF as a keepalive
/// ping (RFC 5626 §3.5.1); answering it is the pipeline's job. Only the
/// Content-Length header is read (long name or compact `l`, any case, whitespace
/// around the colon); everything else is left to the parser. A partial frame waits
/// for more bytes; bytes left at end of stream are dropped.
public struct SIPStreamFrameDecoder: ByteToMessageDecoder {
  public typealias InboundOut = SIPStreamFrame

  public let maxMessageSize: Int

  /// Bytes of the current header block already searched for CRLFCRLF.
  private var scannedHeaderBytes = 0
  /// The size of the frame at the reader index once its header block is read.
  private var pendingFrameLength: Int?

  public init(maxMessageSize: Int = 65_535) {
    self.maxMessageSize = maxMessageSize
  }

  public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws
    -> DecodingState
  {
    guard let frame = try self.decode(buffer: &buffer) else { return .needMoreData }
    context.fireChannelRead(Self.wrapInboundOut(frame))
    return .continue
  }

  public mutating func decodeLast(
    context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
  ) throws -> DecodingState {
    if let frame = try self.decode(buffer: &buffer) {
      context.fireChannelRead(Self.wrapInboundOut(frame))
      return .continue
    }
    // A partial message at the end of the stream can never complete.
    buffer.moveReaderIndex(to: buffer.writerIndex)
    return .needMoreData
  }

  /// Takes the next frame off the front of `buffer`, or returns `nil` (consuming at
  /// most stray CRLFs) when more bytes are needed.
  public mutating func decode(buffer: inout ByteBuffer) throws -> SIPStreamFrame? {
    if self.pendingFrameLength == nil {
      if self.scannedHeaderBytes == 0 {
        switch Self.skipInterMessageCRLF(&buffer) {
        case .keepalive: return .keepalive
        case .needMoreData: return nil
        case .message: break
        }
      }
      guard let length = try self.readHeaderBlock(buffer) else { return nil }
      self.pendingFrameLength = length
      self.scannedHeaderBytes = 0
    }
    guard let length = self.pendingFrameLength, buffer.readableBytes >= length else { return nil }
    self.pendingFrameLength = nil
    return .message(buffer.readSlice(length: length)!)
  }

  private enum Boundary {
    case keepalive
    case needMoreData
    case message
  }

  /// At a frame boundary: a leading CRLFCRLF is a ping; a lone CRLF before anything
  /// else is skipped; a CR or CRLF or CRLFCR at the end of the buffer may still
  /// become a ping, so it waits.
  private static func skipInterMessageCRLF(_ buffer: inout ByteBuffer) -> Boundary {
    while true {
      let view = buffer.readableBytesView
      var prefix = 0
      for byte in view.prefix(4) {
        guard byte == (prefix % 2 == 0 ? UInt8.cr : UInt8.lf) else { break }
        prefix += 1
      }
      switch prefix {
      case 4:
        buffer.moveReaderIndex(forwardBy: 4)
        return .keepalive
      case 0:
        return view.isEmpty ? .needMoreData : .message
      case 1:
        // A CR alone waits; a CR followed by anything but LF starts a (malformed) message.
        return view.count == 1 ? .needMoreData : .message
      default:  // CRLF or CRLFCR
        if view.count == prefix { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
      }
    }
  }

  /// Finds the end of the header block and returns the length of the whole frame,
  /// or `nil` if the header block is not complete yet.
  private mutating func readHeaderBlock(_ buffer: ByteBuffer) throws -> Int? {
    let maxMessageSize = self.maxMessageSize
    let resumeAt = max(0, self.scannedHeaderBytes - 3)
    return try buffer.withUnsafeReadableBytes { bytes -> Int? in
      guard let end = Self.firstDoubleCRLF(in: bytes, from: resumeAt) else {
        // Any CRLFCRLF still to come ends after byte `count`: the block would be too large.
        if bytes.count >= maxMessageSize { throw SIPStreamFramingError.headerTooLarge(limit: maxMessageSize) }
        self.scannedHeaderBytes = bytes.count
        return nil
      }
      let headerLength = end + 4
      if headerLength > maxMessageSize { throw SIPStreamFramingError.headerTooLarge(limit: maxMessageSize) }
      let bodyLength = try Self.contentLength(in: UnsafeRawBufferPointer(rebasing: bytes[..<(end + 2)]))
      guard headerLength + bodyLength <= maxMessageSize else {
        throw SIPStreamFramingError.messageTooLarge(size: headerLength + bodyLength, limit: maxMessageSize)
      }
      return headerLength + bodyLength
    }
  }

  private static func firstDoubleCRLF(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
    var i = start
    while i + 3 < bytes.count {
      if bytes[i + 3] != .lf {
        // Skip ahead: no CRLFCRLF can end at i + 3.
        i += bytes[i + 3] == .cr ? 1 : 4
        continue
      }
      if bytes[i] == .cr && bytes[i + 1] == .lf && bytes[i + 2] == .cr { return i }
      i += 1
    }
    return nil
  }

  /// Reads Content-Length from header lines (each ending in CRLF, the start line first).
  private static func contentLength(in header: UnsafeRawBufferPointer) throws -> Int {
    var found: Int?
    var lineStart = 0
    var isStartLine = true
    while lineStart < header.count {
      var lineEnd = lineStart
      while lineEnd + 1 < header.count, !(header[lineEnd] == .cr && header[lineEnd + 1] == .lf) {
        lineEnd += 1
      }
      if lineEnd + 1 >= header.count { lineEnd = header.count }
      defer {
        lineStart = lineEnd + 2
        isStartLine = false
      }
      // The start line, and continuation lines of folded headers, are not headers.
      guard !isStartLine, lineEnd > lineStart, !header[lineStart].isLinearWhitespace else { continue }
      let line = UnsafeRawBufferPointer(rebasing: header[lineStart..<lineEnd])
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
      guard isContentLengthName(line[..<colon].trimmingTrailingWhitespace) else { continue }
      let value = try parseLength(line[(colon + 1)...].trimmingWhitespace)
      if let previous = found, previous != value {
        throw SIPStreamFramingError.conflictingContentLength(previous, value)
      }
      found = value
    }
    guard let found else { throw SIPStreamFramingError.missingContentLength }
    return found
  }

  private static func isContentLengthName(_ name: Slice<UnsafeRawBufferPointer>) -> Bool {
    if name.count == 1 { return name.first!.asciiLowercased == UInt8(ascii: "l") }
    let longName = "content-length".utf8
    return name.count == longName.count && zip(name, longName).allSatisfy { $0.asciiLowercased == $1 }
  }

  /// Values that large are read as this, so that no arithmetic overflows.
  static let contentLengthCeiling = 1 << 32

  private static func parseLength(_ text: Slice<UnsafeRawBufferPointer>) throws -> Int {
    guard !text.isEmpty else { throw SIPStreamFramingError.invalidContentLength("") }
    var value = 0
    for byte in text {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
        throw SIPStreamFramingError.invalidContentLength(String(decoding: text.prefix(32), as: UTF8.self))
      }
      value = min(value * 10 + Int(byte - UInt8(ascii: "0")), Self.contentLengthCeiling)
    }
    return value
  }
}

extension UInt8 {
  fileprivate static let cr = UInt8(ascii: "\r")
  fileprivate static let lf = UInt8(ascii: "\n")
  fileprivate var isLinearWhitespace: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") }
  fileprivate var asciiLowercased: UInt8 {
    self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
  }
}

extension Slice where Base == UnsafeRawBufferPointer {
  fileprivate var trimmingTrailingWhitespace: Self {
    var result = self
    while let last = result.last, last.isLinearWhitespace { result.removeLast() }
    return result
  }

  fileprivate var trimmingWhitespace: Self {
    var result = self.trimmingTrailingWhitespace
    while let first = result.first, first.isLinearWhitespace { result.removeFirst() }
    return result
  }
}
