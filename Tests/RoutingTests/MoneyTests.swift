import Testing

@testable import Routing

@Suite struct MoneyTests {
  /// Text as `numeric(20,6)` prints it (and a few neighbours), and the millionths it parses to.
  @Test(arguments: [
    ("0.012", Int64(12_000)),
    ("-1.5", -1_500_000),
    ("3", 3_000_000),
    ("+2.5", 2_500_000),
    ("-0.000100", -100),
    ("0", 0),
    ("-0", 0),
    ("0.000001", 1),
    ("12.000000", 12_000_000),
    ("1.1234560000", 1_123_456),
    ("12.3456780", 12_345_678),
    ("007.5", 7_500_000),
    ("9223372036854", 9_223_372_036_854_000_000),
    ("9223372036854.775807", .max),
    ("-9223372036854.775807", -.max),
  ])
  func parses(text: String, micros: Int64) {
    #expect(Money(text) == Money(micros: micros))
    #expect(Money(text[...]) == Money(micros: micros))
  }

  /// More than six decimals that are not zeros, overflow, and anything that is not a plain decimal.
  @Test(arguments: [
    "12.3456789",
    "0.0000001",
    "1.0000000001",
    "9223372036854.775808",
    "9223372036855",
    "-9223372036855",
    "99999999999999999999",
    "",
    "-",
    "+",
    ".",
    "-.",
    "1.2.3",
    "1e5",
    " 1",
    "1 ",
    "1,5",
    "--1",
    "+-1",
    "0x10",
    "１",
  ])
  func refuses(text: String) {
    #expect(Money(text) == nil)
  }

  @Test(arguments: [
    (Int64(12_000), "0.012000"),
    (-1_500_000, "-1.500000"),
    (0, "0.000000"),
    (1, "0.000001"),
    (-1, "-0.000001"),
    (-100, "-0.000100"),
    (3_000_000, "3.000000"),
    (12_345_678, "12.345678"),
    (1_000_000_000_000, "1000000.000000"),
    (.max, "9223372036854.775807"),
    (.min, "-9223372036854.775808"),
  ])
  func descriptionHasSixDecimals(micros: Int64, text: String) {
    #expect(Money(micros: micros).description == text)
    #expect("\(Money(micros: micros))" == text)
  }

  @Test(arguments: [Int64(0), 1, -1, 12_000, -1_500_000, 999_999, 1_000_001, .max, -.max])
  func descriptionParsesBack(micros: Int64) {
    #expect(Money(Money(micros: micros).description) == Money(micros: micros))
  }

  /// Half up to the nearest millionth; negative amounts away from zero.
  @Test(arguments: [
    (Int128(0), Int128(7), Int64(0)),
    (5, 10, 1),
    (4, 10, 0),
    (15, 10, 2),
    (14, 10, 1),
    (-5, 10, -1),
    (-4, 10, 0),
    (-15, 10, -2),
    (-14, 10, -1),
    (1, 3, 0),
    (2, 3, 1),
    (7, 2, 4),
    (29, 60, 0),
    (30, 60, 1),
    (89, 60, 1),
    (90, 60, 2),
    (-30, 60, -1),
    (-29, 60, 0),
    (12_000 * 65, 60, 13_000),
    (Int128(Int64.max), 1, .max),
    (Int128(Int64.min), 1, .min),
    (Int128(Int64.max) * 60 + 29, 60, .max),
  ])
  func dividingRoundsHalfUp(numerator: Int128, denominator: Int128, micros: Int64) {
    #expect(Money.dividing(numerator, by: denominator) == Money(micros: micros))
  }

  /// Beyond what `Money` holds the result is refused (nil), never saturated
  /// (issue 17: a margin across currencies came out as `Int64.max`).
  static let beyondMoney: [(Int128, Int128)] = [
    (Int128(Int64.max) + 1, 1),
    (Int128(Int64.max) * 2, 1),
    (Int128(Int64.min) - 1, 1),
    (Int128(Int64.min) * 2, 1),
    (Int128(Int64.max) * 60 + 30, 60),
  ]

  @Test(arguments: beyondMoney)
  func dividingBeyondMoneyIsRefused(numerator: Int128, denominator: Int128) {
    #expect(Money.dividing(numerator, by: denominator) == nil)
  }

  @Test func checkedSumsAndDifferences() {
    #expect(Money(micros: 5).adding(Money(micros: 7)) == Money(micros: 12))
    #expect(Money(micros: .max).adding(Money(micros: 1)) == nil)
    #expect(Money(micros: .min).subtracting(Money(micros: 1)) == nil)
    #expect(Money(micros: 5).subtracting(Money(micros: 7)) == Money(micros: -2))
  }

  @Test func arithmeticAndOrder() {
    let a = Money(micros: 12_000)
    let b = Money(micros: 50_000)
    #expect(a + b == Money(micros: 62_000))
    #expect(a - b == Money(micros: -38_000))
    #expect(a < b)
    #expect(!(b < a))
    #expect(Money(micros: -1) < .zero)
    #expect([b, Money(micros: -3), a].sorted() == [Money(micros: -3), a, b])
    #expect(Money.zero.micros == 0)
    #expect(Money.microsPerUnit == 1_000_000)
  }
}
