import Testing

@testable import Routing

/// Closed codes (issue 17, rule 6): a code whose rates all ended, or that
/// has no rate for the time class in force, is closed, not priced at a
/// shorter prefix, unless the plan falls back (`closed_code_fallback`).
@Suite struct ClosedCodeTests {
  /// 2026-07-01T00:00Z: the premium code 449 ends, 4930 starts (a new code).
  static let change: Int64 = 1_782_864_000_000
  /// New York: Mon 2026-03-09 08:00 EDT (peak) and 18:00 EDT (evening, off-peak).
  static let peakMorning: Int64 = 1_773_057_600_000
  static let evening: Int64 = 1_773_093_600_000
  static let day: Int64 = 86_400_000

  struct Case: Sendable, CustomTestStringConvertible {
    var note: String
    var atUnixMs: Int64
    var destination: String
    /// The lookup under the default (closed codes refused) ...
    var closed: String
    /// ... and with `closed_code_fallback` on.
    var fallback: String

    var testDescription: String { note }
  }

  static let cases: [Case] = [
    Case(
      note: "end-dated premium code, last millisecond", atUnixMs: change - 1, destination: "449100",
      closed: "rated 449 1.500000", fallback: "rated 449 1.500000"),
    Case(
      note: "end-dated premium code, after its end", atUnixMs: change, destination: "449100",
      closed: "closed 449", fallback: "rated 44 0.010000"),
    Case(
      note: "end-dated premium code, a year later", atUnixMs: change + 365 * day, destination: "+449100",
      closed: "closed 449", fallback: "rated 44 0.010000"),
    Case(
      note: "the country code beside a closed code", atUnixMs: change, destination: "447700",
      closed: "rated 44 0.010000", fallback: "rated 44 0.010000"),
    Case(
      note: "a number shorter than the closed code", atUnixMs: change, destination: "44",
      closed: "rated 44 0.010000", fallback: "rated 44 0.010000"),
    Case(
      note: "a code not open yet is not closed: the shorter prefix", atUnixMs: change - 1,
      destination: "4930123", closed: "rated 49 0.020000", fallback: "rated 49 0.020000"),
    Case(
      note: "the new code once open", atUnixMs: change, destination: "4930123", closed: "rated 4930 0.008000",
      fallback: "rated 4930 0.008000"),
    Case(
      note: "a gap between two rates closes the code", atUnixMs: change + 5 * day, destination: "4989",
      closed: "closed 4989", fallback: "rated 49 0.020000"),
    Case(
      note: "the code reopens after the gap", atUnixMs: change + 10 * day, destination: "4989",
      closed: "rated 4989 0.040000", fallback: "rated 4989 0.040000"),
    Case(
      note: "a closed code under a closed code: the longest is named", atUnixMs: change,
      destination: "44900", closed: "closed 4490", fallback: "rated 44 0.010000"),
    Case(
      note: "no prefix at all is unrated, not closed", atUnixMs: change, destination: "33",
      closed: "unrated", fallback: "unrated"),
    Case(
      note: "the only code of the number ended: closed, not unrated", atUnixMs: change, destination: "7495",
      closed: "closed 7", fallback: "unrated"),
  ]

  static func lookupText(_ lookup: RateLookup) -> String {
    switch lookup {
    case .rated(let quote): "rated \(quote.prefix) \(quote.ratePerMinute)"
    case .closed(let prefix): "closed \(prefix)"
    case .unrated: "unrated"
    }
  }

  static func datedPlan(fallback: Bool) throws -> RatingPlan {
    var builder = try RatingPlan.Builder(
      id: "rp", name: "dated", currency: "EUR", closedCodeFallback: fallback)
    let rows: [(String, Rate)] = [
      ("44", Rate(ratePerMinute: Money("0.010")!)),
      ("449", Rate(ratePerMinute: Money("1.5")!, effectiveToMs: change)),
      ("4490", Rate(ratePerMinute: Money("2.5")!, effectiveToMs: change)),
      ("49", Rate(ratePerMinute: Money("0.020")!)),
      ("4930", Rate(ratePerMinute: Money("0.008")!, effectiveFromMs: change)),
      ("4989", Rate(ratePerMinute: Money("0.030")!, effectiveToMs: change + day)),
      ("4989", Rate(ratePerMinute: Money("0.040")!, effectiveFromMs: change + 10 * day)),
      ("7", Rate(ratePerMinute: Money("0.1")!, effectiveToMs: change)),
    ]
    for (prefix, rate) in rows { try builder.add(prefix: prefix, rate: rate) }
    return try builder.build()
  }

  @Test(arguments: cases)
  func endDatedCodes(_ c: Case) throws {
    let closing = try Self.datedPlan(fallback: false)
    let falling = try Self.datedPlan(fallback: true)
    #expect(Self.lookupText(closing.lookup(destination: c.destination, atUnixMs: c.atUnixMs)) == c.closed)
    #expect(Self.lookupText(falling.lookup(destination: c.destination, atUnixMs: c.atUnixMs)) == c.fallback)
    // `quote` is the lookup's price: none for a closed code.
    #expect(
      closing.quote(destination: c.destination, atUnixMs: c.atUnixMs).map {
        "rated \($0.prefix) \($0.ratePerMinute)"
      }
        == (c.closed.hasPrefix("rated") ? c.closed : nil))
  }

  static let classCases: [Case] = [
    Case(
      note: "peak-only code at peak", atUnixMs: peakMorning, destination: "19005551",
      closed: "rated 1900 0.500000", fallback: "rated 1900 0.500000"),
    Case(
      note: "peak-only code in the evening", atUnixMs: evening, destination: "19005551",
      closed: "closed 1900", fallback: "rated 1 0.030000"),
    Case(
      note: "peak-only code at the weekend", atUnixMs: peakMorning - 2 * day, destination: "19005551",
      closed: "closed 1900", fallback: "rated 1 0.030000"),
    Case(
      note: "a code with an any-time rate is open in the evening", atUnixMs: evening, destination: "12125551",
      closed: "rated 1212 0.040000", fallback: "rated 1212 0.040000"),
    Case(
      note: "peak and off-peak code, no weekend rate: closed at the weekend",
      atUnixMs: peakMorning - 2 * day, destination: "1305", closed: "closed 1305",
      fallback: "rated 1 0.030000"),
    Case(
      note: "peak and off-peak code in the evening", atUnixMs: evening, destination: "1305",
      closed: "rated 1305 0.015000", fallback: "rated 1305 0.015000"),
  ]

  static func classPlan(fallback: Bool) throws -> RatingPlan {
    var builder = try RatingPlan.Builder(
      id: "rp", name: "classes", currency: "USD", timeZone: newYork2026,
      windows: [
        window("offpeak", [1, 2, 3, 4, 5], 0, 480), window("peak", [1, 2, 3, 4, 5], 480, 1080),
        window("offpeak", [1, 2, 3, 4, 5], 1080, 1440), window("weekend", [6, 7], 0, 1440),
      ], closedCodeFallback: fallback)
    let rows: [(String, Rate)] = [
      ("1", Rate(ratePerMinute: Money("0.030")!)),
      ("1212", Rate(ratePerMinute: Money("0.040")!)),
      ("1212", Rate(ratePerMinute: Money("0.060")!, timeClass: "peak")),
      ("1305", Rate(ratePerMinute: Money("0.025")!, timeClass: "peak")),
      ("1305", Rate(ratePerMinute: Money("0.015")!, timeClass: "offpeak")),
      ("1900", Rate(ratePerMinute: Money("0.5")!, timeClass: "peak")),
    ]
    for (prefix, rate) in rows { try builder.add(prefix: prefix, rate: rate) }
    return try builder.build()
  }

  @Test(arguments: classCases)
  func timeClassCodes(_ c: Case) throws {
    let closing = try Self.classPlan(fallback: false)
    let falling = try Self.classPlan(fallback: true)
    #expect(Self.lookupText(closing.lookup(destination: c.destination, atUnixMs: c.atUnixMs)) == c.closed)
    #expect(Self.lookupText(falling.lookup(destination: c.destination, atUnixMs: c.atUnixMs)) == c.fallback)
  }

  @Test func aPlanClosesCodesUnlessItSaysOtherwise() throws {
    #expect(try RatingPlan.Builder(id: "rp", name: "n", currency: "USD").closedCodeFallback == false)
    #expect(try Self.datedPlan(fallback: false).closedCodeFallback == false)
    #expect(try Self.datedPlan(fallback: true).closedCodeFallback == true)
  }
}
