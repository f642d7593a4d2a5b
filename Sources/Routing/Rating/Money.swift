/// An amount of money in millionths of a currency unit (the scale of the
/// schema's `numeric(20,6)`), exact. Never a floating-point number.
///
/// Rounding rule, used everywhere the switch divides money: half up, to the
/// nearest millionth (`Money.dividing(_:by:)`). The same inputs always give
/// the same amount.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// Millionths of the currency unit.
  public var micros: Int64

  public static let zero = Money(micros: 0)
  public static let microsPerUnit: Int64 = 1_000_000

  public init(micros: Int64) { self.micros = micros }

  /// Parses decimal text as PostgreSQL prints `numeric`: `12.5`, `-0.000100`,
  /// `3`. Nil for anything else, more than six decimals that are not zeros,
  /// or an amount beyond ±9,223,372,036,854 units.
  public init?(_ text: some StringProtocol) {
    var utf8 = Substring(text).utf8[...]
    var negative = false
    if utf8.first == UInt8(ascii: "-") {
      negative = true
      utf8 = utf8.dropFirst()
    } else if utf8.first == UInt8(ascii: "+") {
      utf8 = utf8.dropFirst()
    }
    guard !utf8.isEmpty else { return nil }
    var whole: Int64 = 0
    var fraction: Int64 = 0
    var fractionDigits = 0
    var seenPoint = false
    var digits = 0
    for byte in utf8 {
      if byte == UInt8(ascii: ".") {
        guard !seenPoint else { return nil }
        seenPoint = true
        continue
      }
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      let digit = Int64(byte - UInt8(ascii: "0"))
      digits += 1
      if seenPoint {
        if fractionDigits == 6 {
          guard digit == 0 else { return nil }
          continue
        }
        fraction = fraction * 10 + digit
        fractionDigits += 1
      } else {
        let (times, overflow1) = whole.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times.addingReportingOverflow(digit)
        guard !overflow1, !overflow2 else { return nil }
        whole = sum
      }
    }
    guard digits > 0 else { return nil }
    while fractionDigits < 6 {
      fraction *= 10
      fractionDigits += 1
    }
    let (scaled, overflow1) = whole.multipliedReportingOverflow(by: Self.microsPerUnit)
    let (total, overflow2) = scaled.addingReportingOverflow(fraction)
    guard !overflow1, !overflow2 else { return nil }
    micros = negative ? -total : total
  }

  /// Six decimals, as `numeric(20,6)` prints: `0.012000`, `-1.500000`.
  public var description: String {
    let magnitude = micros.magnitude
    let whole = magnitude / UInt64(Self.microsPerUnit)
    let fraction = String(magnitude % UInt64(Self.microsPerUnit))
    return (micros < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - fraction.count)
      + fraction
  }

  public static func < (lhs: Money, rhs: Money) -> Bool { lhs.micros < rhs.micros }

  public static func + (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros + rhs.micros) }
  public static func - (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros - rhs.micros) }
  public static func += (lhs: inout Money, rhs: Money) { lhs.micros += rhs.micros }
  public static func -= (lhs: inout Money, rhs: Money) { lhs.micros -= rhs.micros }

  /// `numerator / denominator` millionths, rounded half up (away from zero
  /// for negative amounts); the denominator must be positive. Nil when the
  /// result is beyond what `Money` holds: money is exact or refused, never
  /// saturated.
  public static func dividing(_ numerator: Int128, by denominator: Int128) -> Money? {
    precondition(denominator > 0, "Money.dividing: denominator must be positive")
    let half = denominator / 2
    let rounded =
      numerator >= 0
      ? (numerator + half) / denominator
      : -((-numerator + half) / denominator)
    guard let micros = Int64(exactly: rounded) else { return nil }
    return Money(micros: micros)
  }

  /// `self + other`, or nil when the sum is beyond what `Money` holds.
  public func adding(_ other: Money) -> Money? {
    let (sum, overflow) = micros.addingReportingOverflow(other.micros)
    return overflow ? nil : Money(micros: sum)
  }

  /// `self - other`, or nil when the difference is beyond what `Money` holds.
  public func subtracting(_ other: Money) -> Money? {
    let (difference, overflow) = micros.subtractingReportingOverflow(other.micros)
    return overflow ? nil : Money(micros: difference)
  }
}
