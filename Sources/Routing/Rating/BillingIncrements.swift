/// How a call's duration becomes billable seconds: the first
/// `initial` seconds are billed as a block, then blocks of `recurring`
/// seconds (60/60, 30/6, 6/6, 1/1 ...).
///
/// The rule (docs/rating.md): the duration runs from the answer (200 OK) to
/// the end (BYE or failure) in milliseconds and is rounded up to whole
/// seconds: a started second counts. A call of zero milliseconds is billed
/// nothing; any longer call at least `initial`; past that, the rest is
/// rounded up to a multiple of `recurring`.
public struct BillingIncrements: Sendable, Hashable, CustomStringConvertible {
  public var initial: Int32
  public var recurring: Int32

  /// The longest interval a rate may have, in seconds (an hour). Carriers
  /// bill in blocks of 1 to 60 seconds, sometimes a first block of a few
  /// minutes; the loader refuses a row above this, naming it, so that no
  /// row can make a charge overflow (docs/rating.md, "Limits").
  public static let maximumInterval = 3_600

  /// Both must be positive and at most `maximumInterval` (the loader
  /// refuses other intervals, naming the row).
  public init?(initial: Int, recurring: Int) {
    guard (1...Self.maximumInterval).contains(initial), (1...Self.maximumInterval).contains(recurring) else {
      return nil
    }
    self.initial = Int32(initial)
    self.recurring = Int32(recurring)
  }

  /// Per-second billing.
  public static let perSecond = BillingIncrements(initial: 1, recurring: 1)!

  public var description: String { "\(initial)/\(recurring)" }

  /// The seconds billed for a call that was up `durationMs` milliseconds.
  /// Exact for every duration (no overflow, however long).
  public func billableSeconds(durationMs: Int64) -> Int64 {
    guard durationMs > 0 else { return 0 }
    let seconds = durationMs / 1000 + (durationMs % 1000 == 0 ? 0 : 1)
    let first = Int64(initial)
    guard seconds > first else { return first }
    let step = Int64(recurring)
    let rest = seconds - first
    let blocks = rest / step + (rest % step == 0 ? 0 : 1)
    return first + blocks * step
  }
}
