import Testing

@testable import Routing

@Suite struct BillingIncrementsTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var initial: Int
    var recurring: Int
    var durationMs: Int64
    var seconds: Int64

    var testDescription: String { "\(initial)/\(recurring) \(durationMs) ms → \(seconds) s" }
  }

  static let cases: [Case] = [
    // 60/60
    Case(initial: 60, recurring: 60, durationMs: 0, seconds: 0),
    Case(initial: 60, recurring: 60, durationMs: 1, seconds: 60),
    Case(initial: 60, recurring: 60, durationMs: 999, seconds: 60),
    Case(initial: 60, recurring: 60, durationMs: 1000, seconds: 60),
    Case(initial: 60, recurring: 60, durationMs: 1001, seconds: 60),
    Case(initial: 60, recurring: 60, durationMs: 59_999, seconds: 60),
    Case(initial: 60, recurring: 60, durationMs: 60_000, seconds: 60),
    Case(initial: 60, recurring: 60, durationMs: 60_001, seconds: 120),
    Case(initial: 60, recurring: 60, durationMs: 65_000, seconds: 120),
    Case(initial: 60, recurring: 60, durationMs: 120_000, seconds: 120),
    Case(initial: 60, recurring: 60, durationMs: 120_001, seconds: 180),
    Case(initial: 60, recurring: 60, durationMs: 3_600_000, seconds: 3600),
    // 30/6
    Case(initial: 30, recurring: 6, durationMs: 0, seconds: 0),
    Case(initial: 30, recurring: 6, durationMs: 999, seconds: 30),
    Case(initial: 30, recurring: 6, durationMs: 1000, seconds: 30),
    Case(initial: 30, recurring: 6, durationMs: 1001, seconds: 30),
    Case(initial: 30, recurring: 6, durationMs: 30_000, seconds: 30),
    Case(initial: 30, recurring: 6, durationMs: 30_001, seconds: 36),
    Case(initial: 30, recurring: 6, durationMs: 36_000, seconds: 36),
    Case(initial: 30, recurring: 6, durationMs: 36_001, seconds: 42),
    Case(initial: 30, recurring: 6, durationMs: 60_000, seconds: 60),
    Case(initial: 30, recurring: 6, durationMs: 60_001, seconds: 66),
    Case(initial: 30, recurring: 6, durationMs: 65_000, seconds: 66),
    // 6/6
    Case(initial: 6, recurring: 6, durationMs: 0, seconds: 0),
    Case(initial: 6, recurring: 6, durationMs: 999, seconds: 6),
    Case(initial: 6, recurring: 6, durationMs: 1000, seconds: 6),
    Case(initial: 6, recurring: 6, durationMs: 1001, seconds: 6),
    Case(initial: 6, recurring: 6, durationMs: 6000, seconds: 6),
    Case(initial: 6, recurring: 6, durationMs: 6001, seconds: 12),
    Case(initial: 6, recurring: 6, durationMs: 60_000, seconds: 60),
    Case(initial: 6, recurring: 6, durationMs: 60_001, seconds: 66),
    Case(initial: 6, recurring: 6, durationMs: 65_000, seconds: 66),
    Case(initial: 6, recurring: 6, durationMs: 66_000, seconds: 66),
    Case(initial: 6, recurring: 6, durationMs: 66_001, seconds: 72),
    // 1/1
    Case(initial: 1, recurring: 1, durationMs: 0, seconds: 0),
    Case(initial: 1, recurring: 1, durationMs: 1, seconds: 1),
    Case(initial: 1, recurring: 1, durationMs: 999, seconds: 1),
    Case(initial: 1, recurring: 1, durationMs: 1000, seconds: 1),
    Case(initial: 1, recurring: 1, durationMs: 1001, seconds: 2),
    Case(initial: 1, recurring: 1, durationMs: 60_000, seconds: 60),
    Case(initial: 1, recurring: 1, durationMs: 60_001, seconds: 61),
    Case(initial: 1, recurring: 1, durationMs: 65_000, seconds: 65),
    Case(initial: 1, recurring: 1, durationMs: 86_400_000, seconds: 86_400),
    // 60/1
    Case(initial: 60, recurring: 1, durationMs: 0, seconds: 0),
    Case(initial: 60, recurring: 1, durationMs: 999, seconds: 60),
    Case(initial: 60, recurring: 1, durationMs: 1000, seconds: 60),
    Case(initial: 60, recurring: 1, durationMs: 1001, seconds: 60),
    Case(initial: 60, recurring: 1, durationMs: 60_000, seconds: 60),
    Case(initial: 60, recurring: 1, durationMs: 60_001, seconds: 61),
    Case(initial: 60, recurring: 1, durationMs: 61_000, seconds: 61),
    Case(initial: 60, recurring: 1, durationMs: 61_001, seconds: 62),
    Case(initial: 60, recurring: 1, durationMs: 65_000, seconds: 65),
    // 1/60
    Case(initial: 1, recurring: 60, durationMs: 0, seconds: 0),
    Case(initial: 1, recurring: 60, durationMs: 999, seconds: 1),
    Case(initial: 1, recurring: 60, durationMs: 1000, seconds: 1),
    Case(initial: 1, recurring: 60, durationMs: 1001, seconds: 61),
    Case(initial: 1, recurring: 60, durationMs: 60_000, seconds: 61),
    Case(initial: 1, recurring: 60, durationMs: 61_000, seconds: 61),
    Case(initial: 1, recurring: 60, durationMs: 61_001, seconds: 121),
    Case(initial: 1, recurring: 60, durationMs: 65_000, seconds: 121),
    // A negative duration (clock skew between answer and end) bills nothing.
    Case(initial: 60, recurring: 60, durationMs: -1, seconds: 0),
    Case(initial: 1, recurring: 1, durationMs: -5000, seconds: 0),
  ]

  @Test(arguments: cases)
  func billableSeconds(_ c: Case) throws {
    let increments = try #require(BillingIncrements(initial: c.initial, recurring: c.recurring))
    #expect(increments.billableSeconds(durationMs: c.durationMs) == c.seconds)
  }

  /// Over a sweep of durations the billed seconds never fall short of the
  /// started seconds, never exceed them by a whole block, and land on a block.
  @Test(arguments: [(60, 60), (30, 6), (6, 6), (1, 1), (60, 1), (1, 60)])
  func billedSecondsAreWholeBlocksCoveringTheCall(initial: Int, recurring: Int) throws {
    let increments = try #require(BillingIncrements(initial: initial, recurring: recurring))
    var previous: Int64 = 0
    for durationMs in stride(from: Int64(1), through: 400_000, by: 137) {
      let started = (durationMs + 999) / 1000
      let billed = increments.billableSeconds(durationMs: durationMs)
      #expect(billed >= started)
      #expect(billed >= Int64(initial))
      #expect(billed >= previous)
      if billed > Int64(initial) {
        #expect((billed - Int64(initial)) % Int64(recurring) == 0)
        #expect(billed - started < Int64(recurring))
      }
      previous = billed
    }
  }

  @Test(arguments: [
    (0, 1), (1, 0), (0, 0), (-1, 1), (1, -6), (Int(Int32.max) + 1, 1), (1, Int(Int32.max) + 1),
  ])
  func nonPositiveOrHugeIntervalsAreRefused(initial: Int, recurring: Int) {
    #expect(BillingIncrements(initial: initial, recurring: recurring) == nil)
  }

  @Test(arguments: [(60, 60, "60/60"), (30, 6, "30/6"), (1, 1, "1/1"), (1, 60, "1/60")])
  func description(initial: Int, recurring: Int, text: String) throws {
    let increments = try #require(BillingIncrements(initial: initial, recurring: recurring))
    #expect(increments.description == text)
    #expect(increments.initial == Int32(initial))
    #expect(increments.recurring == Int32(recurring))
  }

  @Test func perSecondIsOneOne() {
    #expect(BillingIncrements.perSecond == BillingIncrements(initial: 1, recurring: 1))
    #expect(BillingIncrements.perSecond.billableSeconds(durationMs: 65_000) == 65)
  }
}
