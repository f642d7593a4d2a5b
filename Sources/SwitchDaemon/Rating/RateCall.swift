/// One call to price with `didtron-switch rate`: from flags or one line of
/// the input CSV (docs/rating.md, "The rate command").
public struct RateCall: Sendable, Equatable {
  /// What prices it.
  public enum Pricing: Sendable, Equatable {
    /// A rating plan alone (`customer_rating_plans.id`).
    case ratingPlan(String)
    /// An ingress carrier service: its rating plan (the customer's price)
    /// and its routing plan (the suppliers, their costs and margins).
    case service(String)
  }

  /// The caller's own label, echoed in the output (`id` column; may be empty).
  public var id: String
  public var pricing: Pricing
  /// The called number as routed (digits, one leading `+` allowed).
  public var number: String
  /// The call's start (Unix ms): the instant its rates and time class are read at.
  public var startUnixMs: Int64
  /// From answer to end; nil: not answered (it costs nothing).
  public var durationMs: Int64?

  public init(id: String = "", pricing: Pricing, number: String, startUnixMs: Int64, durationMs: Int64?) {
    self.id = id
    self.pricing = pricing
    self.number = number
    self.startUnixMs = startUnixMs
    self.durationMs = durationMs
  }

  /// Checks the three values a call is made of, naming the field (`--start`
  /// for a flag, `start` for a CSV column) in the problem.
  static func fields(
    number: Substring, start: Substring, durationMs: Substring, names: FieldNames
  ) -> Result<(String, Int64, Int64?), RateInputError.Problem> {
    let digits = number.utf8.first == UInt8(ascii: "+") ? number.dropFirst() : number
    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return .failure(.init(field: names.number, text: "not a number of digits (\"\(number)\")")) }
    guard let startUnixMs = ISO8601Instant.unixMs(start) else {
      return .failure(.init(field: names.start, text: "not an ISO-8601 instant with a zone (\"\(start)\")"))
    }
    var duration: Int64?
    if !durationMs.isEmpty {
      guard let value = Int64(durationMs), value >= 0 else {
        return .failure(
          .init(field: names.durationMs, text: "not a whole number of milliseconds >= 0 (\"\(durationMs)\")"))
      }
      duration = value
    }
    return .success((String(number), startUnixMs, duration))
  }

  /// How the fields are named in errors.
  struct FieldNames {
    var number: String
    var start: String
    var durationMs: String
    var plan: String
    var service: String

    static let flags = FieldNames(
      number: "--number", start: "--start", durationMs: "--duration-ms", plan: "--plan", service: "--service")
    static let columns = FieldNames(
      number: "number", start: "start", durationMs: "duration_ms", plan: "plan", service: "service")
  }

  /// The call the flags describe (the one-call form of the command).
  public static func fromFlags(
    plan: String?, service: String?, number: String?, start: String?, durationMs: String?
  ) -> Result<RateCall, RateInputError> {
    let names = FieldNames.flags
    func failure(_ field: String, _ text: String) -> Result<RateCall, RateInputError> {
      .failure(RateInputError(line: nil, problem: .init(field: field, text: text)))
    }
    let pricing: Pricing
    switch (plan, service) {
    case (let plan?, nil): pricing = .ratingPlan(plan)
    case (nil, let service?): pricing = .service(service)
    case (nil, nil): return failure("--plan", "give --plan or --service (or a CSV on stdin)")
    default: return failure("--plan", "give --plan or --service, not both")
    }
    guard let number else { return failure("--number", "missing") }
    guard let start else { return failure("--start", "missing") }
    switch fields(number: number[...], start: start[...], durationMs: (durationMs ?? "")[...], names: names) {
    case .success(let (number, startUnixMs, duration)):
      return .success(
        RateCall(pricing: pricing, number: number, startUnixMs: startUnixMs, durationMs: duration))
    case .failure(let problem): return .failure(RateInputError(line: nil, problem: problem))
    }
  }
}

/// A bad input line or flag: named, so a billing team can fix it.
public struct RateInputError: Error, Sendable, Equatable, CustomStringConvertible {
  public struct Problem: Error, Sendable, Equatable {
    /// The column or flag at fault.
    public var field: String
    public var text: String

    public init(field: String, text: String) {
      self.field = field
      self.text = text
    }
  }

  public init(line: Int?, problem: Problem) {
    self.line = line
    self.problem = problem
  }

  /// The input line (1 = the header); nil for flags.
  public var line: Int?
  public var problem: Problem

  public var description: String {
    let place = line.map { "line \($0): " } ?? ""
    return problem.field.isEmpty ? "\(place)\(problem.text)" : "\(place)\(problem.field): \(problem.text)"
  }
}
