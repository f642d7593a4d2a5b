/// The exchange rates of `currencies` (migration 0009): for each ISO 4217
/// code, how many units of it one unit of the base currency buys, in
/// units of 10⁻¹⁰ (`exchange_rate numeric(20,10)`; the base currency, USD
/// as shipped, has 1). Used to compare and convert amounts of different
/// currencies exactly.
public struct Currencies: Sendable, Equatable {
  /// The scale of an exchange rate: 10¹⁰ is a rate of 1.
  public static let rateScale: Int64 = 10_000_000_000

  /// Code → units per base unit, scaled by `rateScale`; every value positive.
  public private(set) var rates: [String: Int64]

  public init() { rates = [:] }

  /// Rates by code, scaled by `rateScale`. Nil when a rate is not positive.
  public init?(rates: [String: Int64]) {
    guard rates.values.allSatisfy({ $0 > 0 }) else { return nil }
    self.rates = rates
  }

  /// Parses `exchange_rate` text (up to ten decimals) to its scaled value;
  /// nil when it is not a positive number below 100,000,000.
  public static func parseRate(_ text: some StringProtocol) -> Int64? {
    let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.count <= 8,
      wholeText.allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int64(wholeText)
    else { return nil }
    var fraction: Int64 = 0
    if parts.count == 2 {
      var digits = Array(parts[1].utf8)
      guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
      while digits.count > 10, digits.last == UInt8(ascii: "0") { digits.removeLast() }
      guard digits.count <= 10 else { return nil }
      for digit in digits { fraction = fraction * 10 + Int64(digit - UInt8(ascii: "0")) }
      for _ in digits.count..<10 { fraction *= 10 }
    }
    let value = whole * rateScale + fraction
    return value > 0 ? value : nil
  }

  public func contains(_ code: String) -> Bool { rates[code] != nil }

  /// `amount` in `from` expressed in `to`, rounded half up to the millionth;
  /// nil when the currencies differ and either is unknown (the same code
  /// needs no rate), or when the result is beyond what `Money` holds.
  public func convert(_ amount: Money, from: String, to: String) -> Money? {
    if from == to { return amount }
    guard let source = rates[from], let target = rates[to] else { return nil }
    return Money.dividing(Int128(amount.micros) * Int128(target), by: Int128(source))
  }

  /// Compares two amounts in their currencies, exactly (no rounding):
  /// negative, zero or positive as `lhs` is worth less than, as much as or
  /// more than `rhs`. Nil when the currencies differ and either is unknown.
  public func compare(_ lhs: Money, _ lhsCurrency: String, _ rhs: Money, _ rhsCurrency: String) -> Int? {
    if lhsCurrency == rhsCurrency { return lhs == rhs ? 0 : (lhs < rhs ? -1 : 1) }
    guard let left = rates[lhsCurrency], let right = rates[rhsCurrency] else { return nil }
    // lhs / left  vs  rhs / right  (both rates positive)
    let a = Int128(lhs.micros) * Int128(right)
    let b = Int128(rhs.micros) * Int128(left)
    return a == b ? 0 : (a < b ? -1 : 1)
  }
}
