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

  /// Both must be positive (the loader refuses zero or negative intervals).
  public init?(initial: Int, recurring: Int) {
    guard initial > 0, recurring > 0, initial <= Int(Int32.max), recurring <= Int(Int32.max) else {
      return nil
    }
    self.initial = Int32(initial)
    self.recurring = Int32(recurring)
  }

  /// Per-second billing.
  public static let perSecond = BillingIncrements(initial: 1, recurring: 1)!

  public var description: String { "\(initial)/\(recurring)" }

  /// The seconds billed for a call that was up `durationMs` milliseconds.
  public func billableSeconds(durationMs: Int64) -> Int64 {
    guard durationMs > 0 else { return 0 }
    let seconds = (durationMs + 999) / 1000
    let first = Int64(initial)
    guard seconds > first else { return first }
    let step = Int64(recurring)
    return first + (seconds - first + step - 1) / step * step
  }
}
