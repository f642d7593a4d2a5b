import JSON

/// `interconnect_signalling_settings.release_cause_mapping`: which SIP final status (and
/// reason phrase) to send instead of the one received.
///
/// The column is `jsonb`, read as its text form: one object whose keys are a final
/// status `"300"`…`"699"` or a class `"3xx"`…`"6xx"`, and whose values are a status
/// 300…699 or an object `{"status": 480, "reason": "No Answer"}` (`reason` optional).
/// Example: `{"503": 486, "5xx": 502, "404": {"status": 480, "reason": "No Answer"}}`.
/// A repeated key keeps its last value, as `jsonb` does.
public struct ReleaseCauseMapping: Sendable, Equatable {
  struct Target: Sendable, Equatable {
    var status: Int
    var reason: String?
  }

  /// By exact status.
  private var byStatus: [Int: Target]
  /// By class digit (3…6), for keys such as "5xx".
  private var byClass: [Int: Target]

  /// Changes nothing.
  public static let identity = ReleaseCauseMapping(byStatus: [:], byClass: [:])

  private init(byStatus: [Int: Target], byClass: [Int: Target]) {
    self.byStatus = byStatus
    self.byClass = byClass
  }

  static let statuses = 300...699
  /// The subset read: objects, strings and integers of at most 18 digits, nested 32 deep.
  static let limits = JSONParser.Limits(maxDepth: 32, maxIntegerDigits: 18)
  static let column = "release_cause_mapping"

  /// Reads the column's text. `nil`, empty text and `{}` are the identity mapping.
  /// Errors name the key or value at fault.
  public init(parsingJSON text: String?) throws(SignallingSettingsError) {
    self = .identity
    guard let text, text.contains(where: { !$0.isWhitespace }) else { return }
    let document: JSONValue
    do {
      document = try JSONParser.parse(text, limits: Self.limits, allowing: [.objects, .strings, .numbers])
    } catch {
      throw SignallingSettingsError("\(Self.column): invalid JSON: \(error)")
    }
    guard case .object(let members) = document else {
      throw SignallingSettingsError("\(Self.column): must be a JSON object")
    }
    for (key, value) in members {
      let target = try Self.target(value, key: key)
      switch Self.key(key) {
      case .status(let status): byStatus[status] = target
      case .statusClass(let digit): byClass[digit] = target
      case nil:
        throw SignallingSettingsError(
          "\(Self.column): key \"\(key)\" is not a SIP final status 300-699 or a class 3xx-6xx")
      }
    }
  }

  /// The status and reason phrase to send for `status`: the exact key first, then the
  /// status's class ("5xx"), else `status` unchanged. `reason` is `nil` when the mapping
  /// names none (the caller then uses the standard phrase of the status).
  public func map(_ status: Int) -> (status: Int, reason: String?) {
    if let target = byStatus[status] ?? (Self.statuses.contains(status) ? byClass[status / 100] : nil) {
      return (target.status, target.reason)
    }
    return (status, nil)
  }

  public var isIdentity: Bool { byStatus.isEmpty && byClass.isEmpty }

  private enum Key {
    case status(Int)
    case statusClass(Int)
  }

  private static func key(_ text: String) -> Key? {
    let bytes = Array(text.utf8)
    guard bytes.count == 3, let first = digit(bytes[0]) else { return nil }
    if let second = digit(bytes[1]), let third = digit(bytes[2]) {
      let status = first * 100 + second * 10 + third
      return statuses.contains(status) ? .status(status) : nil
    }
    let isX = { (byte: UInt8) in byte == UInt8(ascii: "x") || byte == UInt8(ascii: "X") }
    guard isX(bytes[1]), isX(bytes[2]), (3...6).contains(first) else { return nil }
    return .statusClass(first)
  }

  private static func digit(_ byte: UInt8) -> Int? {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
  }

  private static func target(_ value: JSONValue, key: String) throws(SignallingSettingsError) -> Target {
    let place = "\(column): \"\(key)\""
    switch value {
    case .number(let status):
      return Target(status: try checkedStatus(status, place: place), reason: nil)
    case .string(let text):
      throw SignallingSettingsError(
        "\(place): value \"\(text)\" must be a status 300-699 or an object with \"status\"")
    case .object(let members):
      var status: Int?
      var reason: String?
      for (name, value) in members {
        switch (name, value) {
        case ("status", .number(let value)): status = try checkedStatus(value, place: place)
        case ("status", _): throw SignallingSettingsError("\(place): \"status\" must be an integer 300-699")
        case ("reason", .string(let text)): reason = try checkedReason(text, place: place)
        case ("reason", _): throw SignallingSettingsError("\(place): \"reason\" must be a string")
        default: throw SignallingSettingsError("\(place): unknown field \"\(name)\"")
        }
      }
      guard let status else { throw SignallingSettingsError("\(place): object has no \"status\"") }
      return Target(status: status, reason: reason)
    case .null, .bool, .array:  // refused by the parser (`allowing:`)
      throw SignallingSettingsError("\(place): value must be a status 300-699 or an object with \"status\"")
    }
  }

  private static func checkedStatus(_ status: Int64, place: String) throws(SignallingSettingsError) -> Int {
    guard statuses.contains(Int(status)) else {
      throw SignallingSettingsError("\(place): status \(status) is not within 300-699")
    }
    return Int(status)
  }

  /// A Reason-Phrase (RFC 3261 §25.1): text without control characters (tab allowed), not empty.
  private static func checkedReason(_ text: String, place: String) throws(SignallingSettingsError) -> String {
    guard text.contains(where: { !$0.isWhitespace }) else {
      throw SignallingSettingsError("\(place): \"reason\" is empty")
    }
    guard !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else {
      throw SignallingSettingsError("\(place): \"reason\" contains a control character")
    }
    return text
  }
}
