/// One media description of an SDP body: its `m=` line and every line after it
/// up to the next `m=` line (RFC 8866 §5.14).
public struct MediaDescription: Sendable, Equatable {
  /// `audio`, `video`, `image`, `application` ...
  public var type: String
  /// 0: a rejected or disabled stream (RFC 3264 §6).
  public var port: Int
  /// The `/2` of `m=audio 49170/2 RTP/AVP 0`.
  public var portCount: Int?
  /// `RTP/AVP`, `RTP/SAVP`, `udptl` ...
  public var proto: String
  /// The formats (payload types for RTP) in order, as text.
  public var formats: [String]
  /// Every line after the `m=` line (`c=`, `b=`, `a=rtpmap` ...), in order, without CRLF.
  public var lines: [String]

  public init(
    type: String, port: Int, portCount: Int? = nil, proto: String, formats: [String], lines: [String] = []
  ) {
    self.type = type
    self.port = port
    self.portCount = portCount
    self.proto = proto
    self.formats = formats
    self.lines = lines
  }

  /// Parses `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`; `nil`
  /// when the media, a port 0-65535 or the protocol is missing.
  init?(mLine: Substring) {
    guard mLine.hasPrefix("m=") else { return nil }
    let fields = mLine.dropFirst(2).split(separator: " ")
    guard fields.count >= 3 else { return nil }
    let portField = fields[1].split(separator: "/", omittingEmptySubsequences: false)
    guard portField.count <= 2, let port = Self.number(portField[0]), port <= 65535 else { return nil }
    var portCount: Int?
    if portField.count == 2 {
      guard let count = Self.number(portField[1]) else { return nil }
      portCount = count
    }
    self.init(
      type: String(fields[0]), port: port, portCount: portCount, proto: String(fields[2]),
      formats: fields.dropFirst(3).map(String.init))
  }

  /// The `m=` line rebuilt from the fields.
  public var mLine: String {
    var line = "m=\(type) \(port)"
    if let portCount { line += "/\(portCount)" }
    line += " " + proto
    for format in formats { line += " " + format }
    return line
  }

  // MARK: Attributes of one payload type

  /// The payload type's `a=rtpmap`, or for a static payload type without one
  /// its RFC 3551 mapping; `nil` when neither exists.
  public func rtpmap(for payloadType: String) -> RTPMap? {
    if let value = formatAttribute("rtpmap", payloadType) {
      return RTPMap(encoding: value.trimmingWhitespace())
    }
    return Int(payloadType).flatMap(RTPMap.staticPayloadType)
  }

  /// The parameters of the payload type's `a=fmtp` line (`annexb=no`,
  /// `0-16` ...), or `nil` without one.
  public func fmtp(for payloadType: String) -> String? {
    formatAttribute("fmtp", payloadType).map { String($0.trimmingWhitespace()) }
  }

  /// The media description's `a=ptime` in milliseconds (RFC 8866 §6.4).
  public var ptime: Int? {
    for line in lines {
      if let value = Self.attribute(line, named: "ptime") { return Int(value.trimmingWhitespace()) }
    }
    return nil
  }

  // MARK: Editing

  /// Leaves exactly one `a=ptime` line: the first existing one is replaced in
  /// place and any other removed; without one, it is appended.
  public mutating func setPtime(_ milliseconds: Int) {
    let line = "a=ptime:\(milliseconds)"
    guard let first = lines.firstIndex(where: { Self.attribute($0, named: "ptime") != nil }) else {
      lines.append(line)
      return
    }
    lines[first] = line
    var index = lines.count - 1
    while index > first {
      if Self.attribute(lines[index], named: "ptime") != nil { lines.remove(at: index) }
      index -= 1
    }
  }

  /// Sets the payload type's `a=fmtp` parameters: replaces its line, or adds
  /// one after its `a=rtpmap` line (or at the end).
  public mutating func setFmtp(_ parameters: String, for payloadType: String) {
    let line = "a=fmtp:\(payloadType) \(parameters)"
    if let index = lines.firstIndex(where: { Self.formatAttribute($0, "fmtp", payloadType) != nil }) {
      lines[index] = line
    } else if let index = lines.firstIndex(where: { Self.formatAttribute($0, "rtpmap", payloadType) != nil })
    {
      lines.insert(line, at: index + 1)
    } else {
      lines.append(line)
    }
  }

  /// Removes the lines that describe one payload type: `a=rtpmap`, `a=fmtp`
  /// and `a=rtcp-fb` (RFC 4585) naming it. Does not touch `formats`.
  public mutating func removeAttributes(of payloadType: String) {
    lines.removeAll { line in
      Self.formatAttribute(line, "rtpmap", payloadType) != nil
        || Self.formatAttribute(line, "fmtp", payloadType) != nil
        || Self.formatAttribute(line, "rtcp-fb", payloadType) != nil
    }
  }

  // MARK: Private

  private func formatAttribute(_ name: String, _ payloadType: String) -> Substring? {
    for line in lines {
      if let value = Self.formatAttribute(line, name, payloadType) { return value }
    }
    return nil
  }

  /// For `a=<name>:<payloadType> <value>`, the value (possibly empty).
  private static func formatAttribute(_ line: String, _ name: String, _ payloadType: String) -> Substring? {
    guard let value = attribute(line, named: name), value.hasPrefix(payloadType) else { return nil }
    let rest = value.dropFirst(payloadType.count)
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
    return rest.trimmingWhitespace()
  }

  /// For `a=<name>:<value>` (name compared without case), the value; for
  /// `a=<name>` an empty value.
  private static func attribute(_ line: String, named name: String) -> Substring? {
    guard line.hasPrefix("a=") else { return nil }
    let body = line.dropFirst(2)
    let colon = body.firstIndex(of: ":") ?? body.endIndex
    guard body[..<colon].lowercased() == name else { return nil }
    return colon == body.endIndex ? body[colon...] : body[body.index(after: colon)...]
  }

  private static func number(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return nil }
    return Int(text)
  }
}
