import Testing

@testable import Routing

private func money(_ text: String) -> Money { Money(text)! }

private func increments(_ initial: Int, _ recurring: Int) -> BillingIncrements {
  BillingIncrements(initial: initial, recurring: recurring)!
}

private func plan(
  currency: String = "EUR", timeZone: TimeZoneRules = .utc, windows: [TimeClassWindow] = [],
  exceptions: [PeriodException] = [], closedCodeFallback: Bool = false, _ rows: [(String, Rate)]
) throws -> RatingPlan {
  var builder = try RatingPlan.Builder(
    id: "rp-1", name: "test", currency: currency, timeZone: timeZone, windows: windows,
    exceptions: exceptions,
    closedCodeFallback: closedCodeFallback)
  for (prefix, rate) in rows { try builder.add(prefix: prefix, rate: rate) }
  return try builder.build()
}

/// New York weekday peak 08:00–18:00, off-peak around it, weekend all day;
/// 2026-07-03 (a Friday, Independence Day observed) billed as weekend.
private let newYorkWindows = [
  window("offpeak", [1, 2, 3, 4, 5], 0, 480),
  window("peak", [1, 2, 3, 4, 5], 480, 1080),
  window("offpeak", [1, 2, 3, 4, 5], 1080, 1440),
  window("weekend", [6, 7], 0, 1440),
]
private let independenceDay = PeriodException(
  day: LocalTime.day(year: 2026, month: 7, day: 3), timeClass: "weekend")

@Suite struct RatingPlanTests {
  // MARK: Effective dates

  /// Local midnight in Berlin as UTC milliseconds, in winter, summer and on both change days.
  @Test(arguments: [
    (Int64(1_767_222_000_000), "2026-01-01 (CET, 2025-12-31T23:00Z)"),
    (1_774_738_800_000, "2026-03-29, the spring change day (CET, 2026-03-28T23:00Z)"),
    (1_782_856_800_000, "2026-07-01 (CEST, 2026-06-30T22:00Z)"),
    (1_792_879_200_000, "2026-10-25, the autumn change day (CEST, 2026-10-24T22:00Z)"),
    (1_793_487_600_000, "2026-11-01 (CET, 2026-10-31T23:00Z)"),
    (1_798_758_000_000, "2027-01-01 (CET, 2026-12-31T23:00Z)"),
  ])
  func rateChangeAtBerlinMidnight(midnightMs: Int64, note: String) throws {
    // The instant is local midnight.
    let atMidnight = berlin2026.localTime(atUnixMs: midnightMs)
    let before = berlin2026.localTime(atUnixMs: midnightMs - 1)
    #expect(atMidnight.minuteOfDay == 0)
    #expect(before.minuteOfDay == 1439)
    #expect(before.day == atMidnight.day - 1)

    let rated = try plan(
      timeZone: berlin2026,
      [
        ("49", Rate(ratePerMinute: money("0.012"), effectiveFromMs: midnightMs)),
        ("49", Rate(ratePerMinute: money("0.010"), effectiveToMs: midnightMs)),
      ])
    #expect(
      rated.quote(destination: "4930123456", atUnixMs: midnightMs - 3_600_000)?.ratePerMinute
        == money("0.010"))
    #expect(rated.quote(destination: "4930123456", atUnixMs: midnightMs - 1)?.ratePerMinute == money("0.010"))
    #expect(rated.quote(destination: "4930123456", atUnixMs: midnightMs)?.ratePerMinute == money("0.012"))
    #expect(rated.quote(destination: "4930123456", atUnixMs: midnightMs + 1)?.ratePerMinute == money("0.012"))
    #expect(
      rated.quote(destination: "4930123456", atUnixMs: midnightMs + 86_400_000)?.ratePerMinute
        == money("0.012"))
  }

  /// A rate change at Berlin midnight is not one at UTC midnight: between
  /// the two the new rate already applies.
  @Test func berlinMidnightIsNotUTCMidnight() throws {
    let berlinMidnight: Int64 = 1_782_856_800_000  // 2026-07-01T00:00 CEST
    let utcMidnight: Int64 = 1_782_864_000_000  // 2026-07-01T00:00Z = 02:00 CEST
    let rated = try plan(
      timeZone: berlin2026,
      [
        ("49", Rate(ratePerMinute: money("0.010"), effectiveToMs: berlinMidnight)),
        ("49", Rate(ratePerMinute: money("0.012"), effectiveFromMs: berlinMidnight)),
      ])
    #expect(rated.quote(destination: "49", atUnixMs: utcMidnight - 1)?.ratePerMinute == money("0.012"))
    #expect(rated.quote(destination: "49", atUnixMs: berlinMidnight - 1)?.ratePerMinute == money("0.010"))
  }

  struct FallbackCase: Sendable, CustomTestStringConvertible {
    var atUnixMs: Int64
    var destination: String
    var prefix: String?
    var rate: String?
    var note: String

    var testDescription: String { note }
  }

  /// "4930" has a rate only from 2026-07-01 Berlin midnight, "4989" only
  /// until then, "49" always; "4940" has only a rate in force for one day.
  static let change: Int64 = 1_782_856_800_000
  static let fallbackCases: [FallbackCase] = [
    FallbackCase(
      atUnixMs: change - 1, destination: "4930123", prefix: "49", rate: "0.010",
      note: "not yet in force: the shorter prefix"),
    FallbackCase(atUnixMs: change, destination: "4930123", prefix: "4930", rate: "0.008", note: "in force"),
    FallbackCase(
      atUnixMs: change - 1, destination: "4989123", prefix: "4989", rate: "0.009", note: "still in force"),
    FallbackCase(
      atUnixMs: change, destination: "4989123", prefix: "49", rate: "0.010",
      note: "expired: the shorter prefix"),
    FallbackCase(
      atUnixMs: change - 1, destination: "4940", prefix: "49", rate: "0.010", note: "one-day rate, before"),
    FallbackCase(
      atUnixMs: change, destination: "4940", prefix: "4940", rate: "0.020", note: "one-day rate, during"),
    FallbackCase(
      atUnixMs: change + 86_399_999, destination: "4940", prefix: "4940", rate: "0.020",
      note: "one-day rate, last ms"),
    FallbackCase(
      atUnixMs: change + 86_400_000, destination: "4940", prefix: "49", rate: "0.010",
      note: "one-day rate, after"),
    FallbackCase(
      atUnixMs: change, destination: "+4930123", prefix: "4930", rate: "0.008", note: "leading + ignored"),
    FallbackCase(
      atUnixMs: change, destination: "++4930123", prefix: nil, rate: nil, note: "only one + ignored"),
    FallbackCase(
      atUnixMs: change, destination: "4", prefix: nil, rate: nil, note: "shorter than every prefix"),
    FallbackCase(atUnixMs: change, destination: "3312345", prefix: nil, rate: nil, note: "no prefix"),
    FallbackCase(atUnixMs: change, destination: "", prefix: nil, rate: nil, note: "empty number"),
  ]

  /// With `closed_code_fallback` on (as every plan rated before closed codes).
  @Test(arguments: fallbackCases)
  func prefixWithoutARateInForceFallsBack(_ c: FallbackCase) throws {
    let rated = try plan(
      timeZone: berlin2026, closedCodeFallback: true,
      [
        ("49", Rate(ratePerMinute: money("0.010"))),
        ("4930", Rate(ratePerMinute: money("0.008"), effectiveFromMs: Self.change)),
        (
          "4940",
          Rate(
            ratePerMinute: money("0.020"), effectiveFromMs: Self.change,
            effectiveToMs: Self.change + 86_400_000)
        ),
        ("4989", Rate(ratePerMinute: money("0.009"), effectiveToMs: Self.change)),
      ])
    let quote = rated.quote(destination: c.destination, atUnixMs: c.atUnixMs)
    #expect(quote?.prefix == c.prefix)
    #expect(quote?.ratePerMinute == c.rate.map(money))
  }

  @Test func onlyAFutureRateMeansNoQuote() throws {
    let rated = try plan([("4930", Rate(ratePerMinute: money("0.008"), effectiveFromMs: 1_000))])
    #expect(rated.quote(destination: "4930123", atUnixMs: 999) == nil)
    #expect(rated.quote(destination: "4930123", atUnixMs: 1_000)?.prefix == "4930")
  }

  @Test func emptyPrefixIsTheDefaultRate() throws {
    let rated = try plan([
      ("", Rate(ratePerMinute: money("0.5"))), ("49", Rate(ratePerMinute: money("0.01"))),
    ])
    #expect(rated.quote(destination: "3312345", atUnixMs: 0)?.prefix == "")
    #expect(rated.quote(destination: "3312345", atUnixMs: 0)?.ratePerMinute == money("0.5"))
    #expect(rated.quote(destination: "", atUnixMs: 0)?.prefix == "")
    #expect(rated.quote(destination: "491", atUnixMs: 0)?.prefix == "49")
  }

  // MARK: Time classes

  struct ClassCase: Sendable, CustomTestStringConvertible {
    var atUnixMs: Int64
    var timeClass: String?
    var note: String

    var testDescription: String { note }
  }

  /// New York around the 2026-03-08 spring change, the 2026-11-01 autumn
  /// change and the 2026-07-03 holiday.
  static let newYorkClasses: [ClassCase] = [
    ClassCase(atUnixMs: 1_772_801_999_999, timeClass: "offpeak", note: "Fri 2026-03-06 07:59:59.999 EST"),
    ClassCase(atUnixMs: 1_772_802_000_000, timeClass: "peak", note: "Fri 2026-03-06 08:00 EST (13:00Z)"),
    ClassCase(atUnixMs: 1_772_837_999_999, timeClass: "peak", note: "Fri 2026-03-06 17:59:59.999 EST"),
    ClassCase(atUnixMs: 1_772_838_000_000, timeClass: "offpeak", note: "Fri 2026-03-06 18:00 EST"),
    ClassCase(atUnixMs: 1_772_859_599_999, timeClass: "offpeak", note: "Fri 2026-03-06 23:59:59.999 EST"),
    ClassCase(atUnixMs: 1_772_859_600_000, timeClass: "weekend", note: "Sat 2026-03-07 00:00 EST"),
    ClassCase(atUnixMs: 1_772_953_199_999, timeClass: "weekend", note: "Sun 2026-03-08 01:59:59.999 EST"),
    ClassCase(
      atUnixMs: 1_772_953_200_000, timeClass: "weekend", note: "Sun 2026-03-08 03:00 EDT, after the jump"),
    ClassCase(atUnixMs: 1_773_028_799_999, timeClass: "weekend", note: "Sun 2026-03-08 23:59:59.999 EDT"),
    ClassCase(atUnixMs: 1_773_028_800_000, timeClass: "offpeak", note: "Mon 2026-03-09 00:00 EDT (04:00Z)"),
    ClassCase(atUnixMs: 1_773_057_599_999, timeClass: "offpeak", note: "Mon 2026-03-09 07:59:59.999 EDT"),
    ClassCase(
      atUnixMs: 1_773_057_600_000, timeClass: "peak", note: "Mon 2026-03-09 08:00 EDT (12:00Z, not 13:00Z)"),
    ClassCase(atUnixMs: 1_773_093_599_999, timeClass: "peak", note: "Mon 2026-03-09 17:59:59.999 EDT"),
    ClassCase(atUnixMs: 1_773_093_600_000, timeClass: "offpeak", note: "Mon 2026-03-09 18:00 EDT (22:00Z)"),
    ClassCase(atUnixMs: 1_793_624_399_999, timeClass: "offpeak", note: "Mon 2026-11-02 07:59:59.999 EST"),
    ClassCase(
      atUnixMs: 1_793_624_400_000, timeClass: "peak", note: "Mon 2026-11-02 08:00 EST (13:00Z again)"),
    ClassCase(atUnixMs: 1_783_051_199_999, timeClass: "offpeak", note: "Thu 2026-07-02 23:59:59.999 EDT"),
    ClassCase(atUnixMs: 1_783_051_200_000, timeClass: "weekend", note: "Fri 2026-07-03 00:00 EDT, holiday"),
    ClassCase(atUnixMs: 1_783_094_400_000, timeClass: "weekend", note: "Fri 2026-07-03 12:00 EDT, holiday"),
    ClassCase(
      atUnixMs: 1_783_137_599_999, timeClass: "weekend", note: "Fri 2026-07-03 23:59:59.999 EDT, holiday"),
    ClassCase(atUnixMs: 1_783_339_200_000, timeClass: "peak", note: "Mon 2026-07-06 08:00 EDT"),
  ]

  static let classRates = ["peak": "0.020", "offpeak": "0.010", "weekend": "0.005"]

  @Test(arguments: newYorkClasses)
  func timeClassAndItsRate(_ c: ClassCase) throws {
    let rated = try plan(
      currency: "USD", timeZone: newYork2026, windows: newYorkWindows, exceptions: [independenceDay],
      [
        ("1", Rate(ratePerMinute: money("0.020"), timeClass: "peak")),
        ("1", Rate(ratePerMinute: money("0.010"), timeClass: "offpeak")),
        ("1", Rate(ratePerMinute: money("0.005"), timeClass: "weekend")),
      ])
    #expect(rated.timeClass(atUnixMs: c.atUnixMs) == c.timeClass)
    let quote = try #require(rated.quote(destination: "12125551234", atUnixMs: c.atUnixMs))
    #expect(quote.timeClass == c.timeClass)
    #expect(quote.ratePerMinute == Self.classRates[c.timeClass ?? ""].map(money))
  }

  @Test func noWindowMeansNoTimeClass() throws {
    let rated = try plan(windows: [window("peak", [1, 2, 3, 4, 5], 480, 1080)], [])
    // 1970-01-01 (Thursday) 07:59 and 18:00 UTC; Saturday 1970-01-03 noon.
    #expect(rated.timeClass(atUnixMs: 479 * 60_000) == nil)
    #expect(rated.timeClass(atUnixMs: 480 * 60_000) == "peak")
    #expect(rated.timeClass(atUnixMs: 1080 * 60_000) == nil)
    #expect(rated.timeClass(atUnixMs: 2 * 86_400_000 + 720 * 60_000) == nil)
  }

  /// Prefix "1" has an any-time rate and a peak rate; "1212" a peak rate
  /// only, so outside peak its calls fall back to "1" (the plan falls back
  /// on closed codes; `closedCodes` has the default).
  @Test(arguments: [
    (Int64(1_773_057_600_000), "13055512", "1", "0.020", "peak" as String?),
    (1_773_057_600_000, "12125551", "1212", "0.050", "peak"),
    (1_773_057_599_999, "13055512", "1", "0.030", nil),
    (1_773_057_599_999, "12125551", "1", "0.030", nil),
    (1_772_953_200_000, "12125551", "1", "0.030", nil),
  ])
  func classRateBeatsAnyTimeRate(
    atUnixMs: Int64, destination: String, prefix: String, rate: String, timeClass: String?
  )
    throws
  {
    for anyTimeFirst in [true, false] {
      let anyTime = ("1", Rate(ratePerMinute: money("0.030")))
      let peak = ("1", Rate(ratePerMinute: money("0.020"), timeClass: "peak"))
      let rated = try plan(
        currency: "USD", timeZone: newYork2026, windows: newYorkWindows, closedCodeFallback: true,
        (anyTimeFirst ? [anyTime, peak] : [peak, anyTime]) + [
          ("1212", Rate(ratePerMinute: money("0.050"), timeClass: "peak"))
        ])
      let quote = try #require(rated.quote(destination: destination, atUnixMs: atUnixMs))
      #expect(quote.prefix == prefix)
      #expect(quote.ratePerMinute == money(rate))
      #expect(quote.timeClass == timeClass)
    }
  }

  /// A class named only by a period exception may carry rates.
  @Test func exceptionOnlyClass() throws {
    let christmas = LocalTime.day(year: 2026, month: 12, day: 25)
    let rated = try plan(
      timeZone: berlin2026, exceptions: [PeriodException(day: christmas, timeClass: "holiday")],
      [
        ("49", Rate(ratePerMinute: money("0.010"))),
        ("49", Rate(ratePerMinute: money("0.001"), timeClass: "holiday")),
      ])
    // 2026-12-25 00:00 CET is 2026-12-24T23:00Z = 1798153200000.
    #expect(rated.quote(destination: "49", atUnixMs: 1_798_153_199_999)?.ratePerMinute == money("0.010"))
    #expect(rated.quote(destination: "49", atUnixMs: 1_798_153_200_000)?.ratePerMinute == money("0.001"))
    #expect(rated.quote(destination: "49", atUnixMs: 1_798_153_200_000)?.timeClass == "holiday")
    #expect(rated.quote(destination: "49", atUnixMs: 1_798_239_600_000)?.ratePerMinute == money("0.010"))
  }

  // MARK: The quote and the charge

  @Test func quoteCarriesThePlanAndTheRate() throws {
    let rated = try plan(
      currency: "GBP",
      [
        ("44", Rate(ratePerMinute: money("0.1"))),
        (
          "447",
          Rate(ratePerMinute: money("0.12345"), connectionFee: money("0.05"), increments: increments(30, 6))
        ),
      ])
    #expect(rated.prefixCount == 2)
    #expect(rated.rateCount == 2)
    let quote = rated.quote(destination: "+447700900123", atUnixMs: 0)
    #expect(
      quote
        == RateQuote(
          ratingPlanID: "rp-1", prefix: "447", currency: "GBP", ratePerMinute: money("0.12345"),
          connectionFee: money("0.05"), increments: increments(30, 6), timeClass: nil))
  }

  /// A 65-second call bills 120 s on 60/60 and 66 s on 6/6, the same every time.
  @Test(arguments: [
    (60, 60, Int64(120), "0.074000"),
    (6, 6, 66, "0.063200"),
    (30, 6, 66, "0.063200"),
    (1, 1, 65, "0.063000"),
  ])
  func sixtyFiveSecondCall(initial: Int, recurring: Int, seconds: Int64, amount: String) throws {
    let rated = try plan([
      (
        "49",
        Rate(
          ratePerMinute: money("0.012"), connectionFee: money("0.05"),
          increments: increments(initial, recurring))
      )
    ])
    let first = try #require(rated.quote(destination: "4930123", atUnixMs: 1_782_856_800_000))
    #expect(first.charge(durationMs: 65_000) == Charge(billableSeconds: seconds, amount: money(amount)))
    #expect(first.charge(durationMs: nil) == Charge(billableSeconds: 0, amount: .zero))
    for _ in 0..<50 {
      let again = rated.quote(destination: "4930123", atUnixMs: 1_782_856_800_000)
      #expect(again == first)
      #expect(again?.charge(durationMs: 65_000) == first.charge(durationMs: 65_000))
    }
  }

  // MARK: Bad input

  @Test(arguments: [
    ([window("peak", [1, 2, 3, 4, 5], 480, 1080), window("offpeak", [5], 1000, 1440)], "peak", "offpeak"),
    ([window("offpeak", [1], 0, 480), window("offpeak", [1], 479, 600)], "offpeak", "offpeak"),
    (
      [window("a", [6], 0, 60), window("weekend", [6, 7], 0, 1440), window("peak", [1], 0, 1)], "a",
      "weekend"
    ),
  ])
  func overlappingWindowsAreRefused(windows: [TimeClassWindow], first: String, second: String) {
    #expect(throws: RatingPlan.TimeClassProblem.overlappingWindows(first, second)) {
      _ = try RatingPlan.Builder(id: "rp", name: "bad", currency: "EUR", windows: windows)
    }
  }

  @Test func adjacentWindowsAreAccepted() throws {
    let builder = try RatingPlan.Builder(id: "rp", name: "ok", currency: "USD", windows: newYorkWindows)
    #expect(builder.windows.count == 4)
  }

  struct BadRows: Sendable, CustomTestStringConvertible {
    var note: String
    var rows: [(String, Rate)]
    var problem: RatingPlan.RateProblem

    var testDescription: String { note }
  }

  static let badRows: [BadRows] = [
    BadRows(
      note: "unknown class", rows: [("49", Rate(ratePerMinute: money("0.01"), timeClass: "night"))],
      problem: .unknownTimeClass("night")),
    BadRows(
      note: "overlapping dates",
      rows: [
        ("49", Rate(ratePerMinute: money("0.01"), effectiveToMs: 1_000)),
        ("49", Rate(ratePerMinute: money("0.02"), effectiveFromMs: 999)),
      ],
      problem: .overlappingEffectiveDates(prefix: "49", timeClass: nil)),
    BadRows(
      note: "overlapping dates, given later first",
      rows: [
        ("1", Rate(ratePerMinute: money("0.01"))),
        ("49", Rate(ratePerMinute: money("0.02"), effectiveFromMs: 500, effectiveToMs: 600)),
        ("49", Rate(ratePerMinute: money("0.01"), effectiveFromMs: 0, effectiveToMs: 501)),
      ],
      problem: .overlappingEffectiveDates(prefix: "49", timeClass: nil)),
    BadRows(
      note: "a rate inside another's period",
      rows: [
        ("49", Rate(ratePerMinute: money("0.01"))),
        ("49", Rate(ratePerMinute: money("0.02"), effectiveFromMs: 500, effectiveToMs: 600)),
      ],
      problem: .overlappingEffectiveDates(prefix: "49", timeClass: nil)),
    BadRows(
      note: "overlapping dates in one class",
      rows: [
        ("49", Rate(ratePerMinute: money("0.01"), timeClass: "peak")),
        ("49", Rate(ratePerMinute: money("0.01"))),
        ("49", Rate(ratePerMinute: money("0.02"), effectiveFromMs: 10, timeClass: "peak")),
      ],
      problem: .overlappingEffectiveDates(prefix: "49", timeClass: "peak")),
    BadRows(
      note: "overlap in the last prefix is found at build",
      rows: [
        ("1", Rate(ratePerMinute: money("0.01"))),
        ("99", Rate(ratePerMinute: money("0.01"))),
        ("99", Rate(ratePerMinute: money("0.01"))),
      ],
      problem: .overlappingEffectiveDates(prefix: "99", timeClass: nil)),
    BadRows(
      note: "out of order",
      rows: [("49", Rate(ratePerMinute: money("0.01"))), ("44", Rate(ratePerMinute: money("0.01")))],
      problem: .notSorted(prefix: "44")),
    BadRows(
      note: "a prefix's rows not together",
      rows: [
        ("44", Rate(ratePerMinute: money("0.01"))), ("49", Rate(ratePerMinute: money("0.01"))),
        ("44", Rate(ratePerMinute: money("0.02"), effectiveFromMs: 5)),
      ],
      problem: .notSorted(prefix: "44")),
    BadRows(
      note: "longer before shorter",
      rows: [("490", Rate(ratePerMinute: money("0.01"))), ("49", Rate(ratePerMinute: money("0.01")))],
      problem: .notSorted(prefix: "49")),
    BadRows(
      note: "not digits", rows: [("+49", Rate(ratePerMinute: money("0.01")))],
      problem: .notDigits(prefix: "+49")),
    BadRows(
      note: "not digits later",
      rows: [("49", Rate(ratePerMinute: money("0.01"))), ("49a", Rate(ratePerMinute: money("0.01")))],
      problem: .notDigits(prefix: "49a")),
  ]

  @Test(arguments: badRows)
  func badRowsAreRefused(_ c: BadRows) {
    #expect(throws: c.problem) {
      _ = try plan(windows: [window("peak", [1, 2, 3, 4, 5], 480, 1080)], c.rows)
    }
  }

  /// Adjacent periods, the same period in different classes and rows of a
  /// prefix in any order are fine.
  @Test func goodRowsAreAccepted() throws {
    let rated = try plan(
      windows: [window("peak", [1, 2, 3, 4, 5], 480, 1080)],
      [
        ("", Rate(ratePerMinute: money("1"))),
        ("4", Rate(ratePerMinute: money("0.5"))),
        ("49", Rate(ratePerMinute: money("0.03"), effectiveFromMs: 2_000)),
        ("49", Rate(ratePerMinute: money("0.01"), effectiveToMs: 1_000)),
        ("49", Rate(ratePerMinute: money("0.02"), effectiveFromMs: 1_000, effectiveToMs: 2_000)),
        ("49", Rate(ratePerMinute: money("0.04"), timeClass: "peak")),
        ("490", Rate(ratePerMinute: money("0.05"))),
      ])
    #expect(rated.prefixCount == 4)
    #expect(rated.rateCount == 7)
    // 1970-01-01 is a Thursday: 00:00:00.999 is not peak, 08:00 is.
    #expect(rated.quote(destination: "491", atUnixMs: 999)?.ratePerMinute == money("0.01"))
    #expect(rated.quote(destination: "491", atUnixMs: 1_000)?.ratePerMinute == money("0.02"))
    #expect(rated.quote(destination: "491", atUnixMs: 2_000)?.ratePerMinute == money("0.03"))
    #expect(rated.quote(destination: "491", atUnixMs: 480 * 60_000)?.ratePerMinute == money("0.04"))
    #expect(rated.quote(destination: "4901", atUnixMs: 0)?.ratePerMinute == money("0.05"))
    #expect(rated.quote(destination: "41", atUnixMs: 0)?.ratePerMinute == money("0.5"))
    #expect(rated.quote(destination: "1", atUnixMs: 0)?.ratePerMinute == money("1"))
  }

  @Test func problemsNameTheRow() {
    #expect(RatingPlan.RateProblem.unknownTimeClass("night").description.contains("night"))
    #expect(
      RatingPlan.RateProblem.overlappingEffectiveDates(prefix: "49", timeClass: "peak").description
        .contains("'49'"))
    #expect(RatingPlan.RateProblem.notSorted(prefix: "44").description.contains("'44'"))
    #expect(RatingPlan.RateProblem.notDigits(prefix: "+49").description.contains("'+49'"))
    #expect(RatingPlan.TimeClassProblem.overlappingWindows("a", "b").description.contains("a and b"))
  }

  @Test func emptyPlanQuotesNothing() throws {
    let rated = try plan([])
    #expect(rated.prefixCount == 0)
    #expect(rated.rateCount == 0)
    #expect(rated.quote(destination: "49", atUnixMs: 0) == nil)
  }
}
