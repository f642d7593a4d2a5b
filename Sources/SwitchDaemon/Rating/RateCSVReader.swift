/// Reads the rate command's input CSV one line at a time (streamed: nothing
/// is kept between lines). The first line is the header and names the
/// columns, in any order: `number`, `start` and `duration_ms` are required,
/// `plan` and/or `service` (each line fills exactly one), `id` is optional
/// and echoed. Fields are separated by commas and trimmed of spaces; no
/// field of these columns can hold a comma, so there is no quoting. Blank
/// lines are skipped. Line numbers count the header as line 1.
public struct RateCSVReader: Sendable {
  public static let columns = ["id", "plan", "service", "number", "start", "duration_ms"]

  private let count: Int
  private let id: Int?
  private let plan: Int?
  private let service: Int?
  private let number: Int
  private let start: Int
  private let durationMs: Int

  /// Reads the header line; throws naming what is wrong with it.
  public init(header: some StringProtocol) throws(RateInputError) {
    let fields = Self.split(header)
    let names = fields == [""] ? [] : fields
    func problem(_ text: String) -> RateInputError {
      RateInputError(line: 1, problem: .init(field: "header", text: text))
    }
    for (index, name) in names.enumerated() {
      guard Self.columns.contains(String(name)) else {
        throw problem("unknown column \"\(name)\" (columns: \(Self.columns.joined(separator: ", ")))")
      }
      guard !names[..<index].contains(name) else { throw problem("column \(name) appears twice") }
    }
    func index(_ name: String) -> Int? { names.firstIndex { $0 == name } }
    guard let number = index("number"), let start = index("start"), let durationMs = index("duration_ms")
    else { throw problem("the columns number, start and duration_ms are required") }
    guard index("plan") != nil || index("service") != nil else {
      throw problem("a plan or a service column is required")
    }
    count = names.count
    id = index("id")
    plan = index("plan")
    service = index("service")
    self.number = number
    self.start = start
    self.durationMs = durationMs
  }

  /// The call on line `lineNumber`, nil for a blank line, or what is wrong with it.
  public func call(_ line: some StringProtocol, lineNumber: Int) -> Result<RateCall, RateInputError>? {
    let fields = Self.split(line)
    if fields.count == 1, fields[0].isEmpty { return nil }
    func failure(_ field: String, _ text: String) -> Result<RateCall, RateInputError> {
      .failure(RateInputError(line: lineNumber, problem: .init(field: field, text: text)))
    }
    guard fields.count == count else { return failure("", "\(fields.count) fields, the header has \(count)") }
    let plan = self.plan.map { fields[$0] } ?? ""
    let service = self.service.map { fields[$0] } ?? ""
    let pricing: RateCall.Pricing
    switch (plan.isEmpty, service.isEmpty) {
    case (false, true): pricing = .ratingPlan(String(plan))
    case (true, false): pricing = .service(String(service))
    case (true, true): return failure("plan", "give a plan or a service")
    case (false, false): return failure("plan", "give a plan or a service, not both")
    }
    let names = RateCall.FieldNames.columns
    switch RateCall.fields(
      number: fields[number], start: fields[start], durationMs: fields[durationMs], names: names)
    {
    case .success(let (number, startUnixMs, duration)):
      return .success(
        RateCall(
          id: id.map { String(fields[$0]) } ?? "", pricing: pricing, number: number, startUnixMs: startUnixMs,
          durationMs: duration))
    case .failure(let problem): return .failure(RateInputError(line: lineNumber, problem: problem))
    }
  }

  /// Comma-separated fields, each trimmed of spaces, tabs and a trailing
  /// CR. Split on the UTF-8 bytes (a comma is never part of another
  /// character), not on Characters: a third of the command's time otherwise.
  static func split(_ line: some StringProtocol) -> [Substring] {
    let text = Substring(line)
    let bytes = text.utf8
    var fields: [Substring] = []
    var start = bytes.startIndex
    var index = start
    while true {
      if index == bytes.endIndex || bytes[index] == UInt8(ascii: ",") {
        fields.append(trimmed(text, start, index))
        if index == bytes.endIndex { break }
        start = bytes.index(after: index)
      }
      index = index == bytes.endIndex ? index : bytes.index(after: index)
    }
    return fields
  }

  private static func trimmed(_ text: Substring, _ start: String.Index, _ end: String.Index) -> Substring {
    let bytes = text.utf8
    var lower = start
    var upper = end
    func isSpace(_ byte: UInt8) -> Bool {
      byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
    while lower < upper, isSpace(bytes[lower]) { lower = bytes.index(after: lower) }
    while upper > lower, isSpace(bytes[bytes.index(before: upper)]) { upper = bytes.index(before: upper) }
    return text[lower..<upper]
  }
}
