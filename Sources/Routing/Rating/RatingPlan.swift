/// A rating plan (`customer_rating_plans` with its `rating_plan_rates`,
/// time classes and period exceptions): prices a destination at an
/// instant. As an ingress service's plan it is the customer's price list;
/// as an egress service's plan, the supplier's cost. Immutable once built
/// (`RatingPlan.Builder`); part of the reference-data snapshot.
public struct RatingPlan: Sendable {
  public let id: String
  public let name: String
  /// ISO 4217 code.
  public let currency: String
  public let timeZone: TimeZoneRules
  public let margin: MarginRule
  public let windows: [TimeClassWindow]
  /// Period exceptions by local day.
  public let exceptions: [Int64: String]
  /// A closed code (`RateLookup.closed`) falls back to shorter prefixes
  /// (`closed_code_fallback`); false: the call is refused.
  public let closedCodeFallback: Bool
  /// Every rate of the plan; each prefix owns a contiguous run of it,
  /// sorted by time class then start.
  private let rates: [Rate]
  private let table: PrefixTable<RateRun>

  /// The number of distinct prefixes and of rate rows.
  public var prefixCount: Int { table.count }
  public var rateCount: Int { rates.count }

  struct RateRun: Sendable {
    var start: UInt32
    var count: UInt32
  }

  /// The time class in force at `unixMs` in the plan's time zone: the
  /// period exception of that local day, else the window containing that
  /// moment, else nil.
  public func timeClass(atUnixMs unixMs: Int64) -> String? {
    let local = timeZone.localTime(atUnixMs: unixMs)
    if let special = exceptions[local.day] { return special }
    return windows.first { $0.contains(local) }?.name
  }

  /// The price of a call to `destination` (digits; one leading `+` is
  /// ignored) starting at `unixMs`, nil when it has none (no rate, or a
  /// closed code): see `lookup`.
  public func quote(destination: String, atUnixMs unixMs: Int64) -> RateQuote? {
    lookup(destination: destination, atUnixMs: unixMs).quote
  }

  /// What the plan says about a call to `destination` (digits; one leading
  /// `+` is ignored) starting at `unixMs`. Per prefix, longest first: a rate
  /// in force at that instant for the time class then in force, else one for
  /// any time; a prefix without either is closed when one of its rows has
  /// started (`RateLookup`), and then the lookup stops there unless the plan
  /// falls back on closed codes (`closedCodeFallback`); a prefix whose rows
  /// all start later is passed over for the next shorter one.
  public func lookup(destination: String, atUnixMs unixMs: Int64) -> RateLookup {
    let digits = destination.utf8.first == UInt8(ascii: "+") ? destination.dropFirst() : destination[...]
    let timeClass = timeClass(atUnixMs: unixMs)
    var found: (prefix: String, rate: Rate)?
    var closed: String?
    table.forEachMatch(digits) { prefix, run in
      var general: Rate?
      var started = false
      for index in Int(run.start)..<Int(run.start + run.count) {
        let rate = rates[index]
        started = started || rate.effectiveFromMs <= unixMs
        guard rate.isInForce(atUnixMs: unixMs) else { continue }
        if rate.timeClass == nil {
          general = general ?? rate
        } else if rate.timeClass == timeClass {
          found = (prefix(), rate)
          return false
        }
      }
      if let general {
        found = (prefix(), general)
        return false
      }
      if started, !closedCodeFallback {
        closed = prefix()
        return false
      }
      return true
    }
    if let closed { return .closed(prefix: closed) }
    guard let found else { return .unrated }
    return .rated(
      RateQuote(
        ratingPlanID: id, prefix: found.prefix, currency: currency, ratePerMinute: found.rate.ratePerMinute,
        connectionFee: found.rate.connectionFee, increments: found.rate.increments,
        timeClass: found.rate.timeClass))
  }

  fileprivate init(
    id: String, name: String, currency: String, timeZone: TimeZoneRules, margin: MarginRule,
    windows: [TimeClassWindow], exceptions: [Int64: String], closedCodeFallback: Bool, rates: [Rate],
    table: PrefixTable<RateRun>
  ) {
    self.id = id
    self.name = name
    self.currency = currency
    self.timeZone = timeZone
    self.margin = margin
    self.windows = windows
    self.exceptions = exceptions
    self.closedCodeFallback = closedCodeFallback
    self.rates = rates
    self.table = table
  }

  /// Why a rate row cannot join a plan.
  public enum RateProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rate names a time class the plan does not define.
    case unknownTimeClass(String)
    /// Two rates of one prefix and time class are in force at the same time.
    case overlappingEffectiveDates(prefix: String, timeClass: String?)
    /// The rows of a prefix were not given together, in ascending prefix order.
    case notSorted(prefix: String)
    case notDigits(prefix: String)

    public var description: String {
      switch self {
      case .unknownTimeClass(let name): "time_class \(name) is not defined by the plan"
      case .overlappingEffectiveDates(let prefix, let timeClass):
        "prefix '\(prefix)'\(timeClass.map { " (time class \($0))" } ?? "") has overlapping effective dates"
      case .notSorted(let prefix): "prefix '\(prefix)' is out of order"
      case .notDigits(let prefix): "prefix '\(prefix)' is not digits"
      }
    }
  }

  /// Why a plan's time classes cannot be used.
  public enum TimeClassProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case overlappingWindows(String, String)

    public var description: String {
      switch self {
      case .overlappingWindows(let first, let second):
        "time classes \(first) and \(second) overlap"
      }
    }
  }

  /// Builds a plan from its rate rows, given in ascending prefix order
  /// (`ORDER BY prefix COLLATE "C"`, as the loader reads them), checking
  /// each prefix's rows as they come.
  public struct Builder {
    public let id: String
    public let name: String
    public let currency: String
    public let timeZone: TimeZoneRules
    public let margin: MarginRule
    public let windows: [TimeClassWindow]
    public let exceptions: [Int64: String]
    public let closedCodeFallback: Bool
    private let classNames: Set<String>
    private var rates: [Rate] = []
    private var entries: [(prefix: String, value: RateRun)] = []
    private var currentPrefix: String?
    private var currentStart = 0

    /// Throws when two windows overlap. The class names rates may use are
    /// those of the windows and of the exceptions.
    public init(
      id: String, name: String, currency: String, timeZone: TimeZoneRules = .utc, margin: MarginRule = .off,
      windows: [TimeClassWindow] = [], exceptions: [PeriodException] = [], closedCodeFallback: Bool = false
    ) throws(TimeClassProblem) {
      for (index, window) in windows.enumerated() {
        for other in windows[..<index] where window.overlaps(other) {
          throw .overlappingWindows(other.name, window.name)
        }
      }
      self.id = id
      self.name = name
      self.currency = currency
      self.timeZone = timeZone
      self.margin = margin
      self.windows = windows
      self.closedCodeFallback = closedCodeFallback
      self.exceptions = Dictionary(
        exceptions.map { ($0.day, $0.timeClass) }, uniquingKeysWith: { _, last in last })
      classNames = Set(windows.map(\.name)).union(exceptions.map(\.timeClass))
    }

    public var rateCount: Int { rates.count }

    public mutating func reserveCapacity(_ count: Int) {
      rates.reserveCapacity(count)
    }

    /// Adds one rate row of `prefix`.
    public mutating func add(prefix: String, rate: Rate) throws(RateProblem) {
      if let name = rate.timeClass, !classNames.contains(name) { throw .unknownTimeClass(name) }
      if prefix != currentPrefix {
        guard prefix.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
          throw .notDigits(prefix: prefix)
        }
        if let previous = currentPrefix {
          guard previous.utf8.lexicographicallyPrecedes(prefix.utf8) else { throw .notSorted(prefix: prefix) }
          try closeRun(previous)
        }
        currentPrefix = prefix
        currentStart = rates.count
      }
      rates.append(rate)
    }

    /// The finished plan.
    public consuming func build() throws(RateProblem) -> RatingPlan {
      if let previous = currentPrefix { try closeRun(previous) }
      return RatingPlan(
        id: id, name: name, currency: currency, timeZone: timeZone, margin: margin, windows: windows,
        exceptions: exceptions, closedCodeFallback: closedCodeFallback, rates: rates,
        table: PrefixTable(entries))
    }

    /// Sorts the prefix's rows by time class and start, and refuses overlaps.
    private mutating func closeRun(_ prefix: String) throws(RateProblem) {
      let run = currentStart..<rates.count
      rates[run].sort { ($0.timeClass ?? "", $0.effectiveFromMs) < ($1.timeClass ?? "", $1.effectiveFromMs) }
      var index = run.lowerBound + 1
      while index < run.upperBound {
        let previous = rates[index - 1]
        let rate = rates[index]
        if previous.timeClass == rate.timeClass, previous.effectiveToMs > rate.effectiveFromMs {
          throw .overlappingEffectiveDates(prefix: prefix, timeClass: rate.timeClass)
        }
        index += 1
      }
      entries.append((prefix, RateRun(start: UInt32(run.lowerBound), count: UInt32(run.count))))
    }
  }
}
