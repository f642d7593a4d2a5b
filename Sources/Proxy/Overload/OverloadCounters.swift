/// Running totals of the overload guard, read for metrics.
public struct OverloadCounters: Sendable, Equatable {
  /// New INVITEs answered 503 by the guard, by cause.
  public var shed: [OverloadCause: Int] = [:]
  /// Requests from unknown sources answered (403 to an INVITE) or dropped
  /// past the per-source limit / in silence (OPTIONS and other out-of-dialog requests).
  public var unknownSourceRefused = 0
  public var unknownSourceDropped = 0
  /// Log lines about refusals left out (one line per source per interval).
  public var logLinesSuppressed = 0
  /// Shed INVITEs answered 503 from their bytes, with no transaction
  /// (docs/overload.md, "Stateless 503"), and their ACKs absorbed.
  public var statelessReplies = 0
  public var statelessAcksAbsorbed = 0
  /// Times the loop signals turned shedding on.
  public var overloadEpisodes = 0

  public init() {}

  public var shedTotal: Int { shed.values.reduce(0, +) }
}
