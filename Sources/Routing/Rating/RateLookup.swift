/// What a rating plan says about a destination at an instant
/// (`RatingPlan.lookup`): a price, a closed code, or nothing.
///
/// A code (a prefix with rate rows) is **closed** at an instant when none of
/// its rows is in force then (for the time class in force, or any time) but
/// one of them has already started: its rates all ended (an end-dated
/// premium range), or the rows in force are for other time classes (a
/// peak-only code in the evening). Carriers block a closed code rather than
/// price it at a shorter prefix: a premium or mobile range that falls back to
/// its country code is sold far below its cost. A code whose rows all start
/// later does not exist yet, and a shorter prefix prices it as before.
public enum RateLookup: Sendable, Equatable {
  /// The price of the call.
  case rated(RateQuote)
  /// The longest matching code with rates is closed (and the plan does not
  /// fall back to shorter prefixes).
  case closed(prefix: String)
  /// No prefix of the destination has a rate in force.
  case unrated

  /// The price, if any.
  public var quote: RateQuote? {
    if case .rated(let quote) = self { return quote }
    return nil
  }
}
