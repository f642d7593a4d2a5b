import Proxy
import Routing
import SwitchDaemon
import Testing

/// `didtron-switch rate`'s input and output (pure: a snapshot built in
/// memory): instants, the CSV reader and its bad lines, the output rows.
@Suite("rate command: CSV in and out, bad lines")
struct RateCSVTests {
  /// 2026-12-07T00:00:00Z.
  static let midnight: Int64 = 1_796_601_600_000

  /// One plan `P`: 44 at 0.020/min on 30/6 with a 0.050 fee; peak (08-18
  /// UTC weekdays) 4420 at 0.100/min; '' at 0.500/min.
  static func snapshot() throws -> Snapshot {
    var builder = try RatingPlan.Builder(
      id: "P", name: "prices", currency: "USD",
      windows: [
        try #require(
          TimeClassWindow(name: "peak", weekdays: [1, 2, 3, 4, 5], startMinute: 480, endMinute: 1080))
      ])
    try builder.add(prefix: "", rate: Rate(ratePerMinute: Money("0.5")!))
    try builder.add(
      prefix: "44",
      rate: Rate(
        ratePerMinute: Money("0.02")!, connectionFee: Money("0.05")!,
        increments: BillingIncrements(initial: 30, recurring: 6)!))
    try builder.add(prefix: "4420", rate: Rate(ratePerMinute: Money("0.1")!, timeClass: "peak"))
    return Snapshot(
      carriers: [], interconnects: [], services: [], routingPlans: [], ratingPlans: [try builder.build()],
      currencies: Currencies(rates: ["USD": Currencies.rateScale])!)
  }

  /// Runs the CSV loop over `lines`; returns stdout's lines and the errors.
  static func run(_ lines: [String]) throws -> (output: [String], errors: [String], failures: Int) {
    var input = lines.makeIterator()
    var bytes: [UInt8] = []
    var errors: [String] = []
    var stream = RateStream(pricer: CallPricer(snapshot: try snapshot()))
    stream.chunkSize = 64
    let failures = stream.run(
      readLine: { input.next() }, write: { bytes += $0 }, report: { errors.append("\($0)") })
    let output = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    return (output, errors, failures)
  }

  @Test(arguments: [
    ("2026-12-07T00:00:00Z", midnight),
    ("2026-12-07T01:00:00+01:00", midnight),
    ("2026-12-06 19:00:00-05", midnight),
    ("2026-12-07T00:00:00.2509+0000", midnight + 250),
    ("2026-12-07t00:00z", midnight),
    ("1969-12-31T23:59:59.999Z", -1),
    ("2024-02-29T12:00:00Z", 1_709_208_000_000),
  ])
  func readsInstants(text: String, unixMs: Int64) {
    #expect(ISO8601Instant.unixMs(text) == unixMs)
  }

  @Test(arguments: [
    "2026-12-07T00:00:00", "2026-12-07", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
    "2026-12-07T24:00:00Z",
    "2026-12-07T00:00:60Z", "2026-12-07T00:00:00.Z", "2026-12-07T00:00:00Z junk", "", "yesterday",
    "2026-12-07T00:00:00+1",
  ])
  func refusesWhatIsNotAnInstant(text: String) {
    #expect(ISO8601Instant.unixMs(text) == nil)
  }

  @Test func pricesEachLineWithTheRateOfItsStart() throws {
    let (output, errors, failures) = try Self.run([
      "id,plan,number,start,duration_ms",
      "a,P,+442071234567,2026-12-07T07:59:59.999Z,65000",
      "b , P , 442071234567 , 2026-12-07T08:00:00Z , 65000\r",
      "",
      "c,P,33123,2026-12-07T08:00:00Z,",
      "d,P,4420,2026-12-07T08:00:00Z,0",
    ])
    #expect(errors == [] && failures == 0)
    #expect(
      output == [
        RateCSVWriter.header,
        // Before 08:00 the peak-only 4420 is closed (issue 17, rule 6): the
        // plan does not fall back to 44, the call is refused as the switch refuses it.
        "2,a,refused,,,,,,,,,,,,403 Closed Code",
        // Peak from 08:00: 4420 at 0.100 per second.
        "3,b,customer,,,P,4420,peak,0.100000,0.000000,65,0.108333,USD,,",
        // Not answered: nothing is billed, not even the fee.
        "5,c,customer,,,P,,,0.500000,0.000000,0,0.000000,USD,,",
        "6,d,customer,,,P,4420,peak,0.100000,0.000000,0,0.000000,USD,,",
      ])
  }

  @Test func badLinesAreNamedAndTheRestIsPriced() throws {
    let (output, errors, failures) = try Self.run([
      "plan,service,number,start,duration_ms",
      "P,,44,yesterday,1000",
      "P,,44,2026-12-07T08:00:00Z,-5",
      "P,,4x4,2026-12-07T08:00:00Z,1",
      ",,44,2026-12-07T08:00:00Z,1",
      "P,S,44,2026-12-07T08:00:00Z,1",
      "P,,44,2026-12-07T08:00:00Z",
      "Q,,44,2026-12-07T08:00:00Z,1",
      "P,,44,2026-12-07T08:00:00Z,1000",
    ])
    #expect(failures == 7)
    #expect(
      errors == [
        "line 2: start: not an ISO-8601 instant with a zone (\"yesterday\")",
        "line 3: duration_ms: not a whole number of milliseconds >= 0 (\"-5\")",
        "line 4: number: not a number of digits (\"4x4\")",
        "line 5: plan: give a plan or a service",
        "line 6: plan: give a plan or a service, not both",
        "line 7: 4 fields, the header has 5",
        "line 8: plan: rating plan Q is not loaded",
      ])
    #expect(output == [RateCSVWriter.header, "9,,customer,,,P,44,,0.020000,0.050000,30,0.060000,USD,,"])
  }

  @Test(arguments: [
    ("", "line 1: header: the columns number, start and duration_ms are required"),
    ("plan,number,start", "line 1: header: the columns number, start and duration_ms are required"),
    ("number,start,duration_ms", "line 1: header: a plan or a service column is required"),
    (
      "plan,number,start,duration_ms,cost",
      "line 1: header: unknown column \"cost\" (columns: id, plan, service, number, start, duration_ms)"
    ),
    ("plan,plan,number,start,duration_ms", "line 1: header: column plan appears twice"),
  ])
  func aBadHeaderStopsTheRun(header: String, error: String) throws {
    let (output, errors, failures) = try Self.run([header, "P,44,2026-12-07T08:00:00Z,1000"])
    #expect(output == [] && failures == 1)
    #expect(errors == [error])
  }

  @Test func flagsDescribeOneCall() throws {
    let call = try RateCall.fromFlags(
      plan: "P", service: nil, number: "+4420", start: "2026-12-07T01:00:00+01:00", durationMs: "1500"
    ).get()
    #expect(
      call
        == RateCall(pricing: .ratingPlan("P"), number: "+4420", startUnixMs: Self.midnight, durationMs: 1500))
    let bad = RateCall.fromFlags(plan: "P", service: nil, number: "44", start: "noon", durationMs: nil)
    #expect(throws: RateInputError.self) { try bad.get() }
    if case .failure(let error) = bad {
      #expect("\(error)" == "--start: not an ISO-8601 instant with a zone (\"noon\")")
    }
    let neither = RateCall.fromFlags(plan: nil, service: nil, number: "44", start: "x", durationMs: nil)
    if case .failure(let error) = neither {
      #expect("\(error)".hasPrefix("--plan: give --plan or --service"))
    }
  }

  @Test func aCallWithNoRateIsARefusedRowNotAnError() throws {
    var builder = try RatingPlan.Builder(id: "UK", name: "uk only", currency: "USD")
    try builder.add(prefix: "44", rate: Rate(ratePerMinute: Money("0.02")!))
    let snapshot = Snapshot(
      carriers: [], interconnects: [], services: [], routingPlans: [], ratingPlans: [try builder.build()])
    let priced = try CallPricer(snapshot: snapshot).price(
      RateCall(pricing: .ratingPlan("UK"), number: "33", startUnixMs: 0, durationMs: 1000)
    ).get()
    var output: [UInt8] = []
    RateCSVWriter.append(priced, line: 4, to: &output)
    #expect(String(decoding: output, as: UTF8.self) == "4,,refused,,,,,,,,,,,,403 No Customer Rate\n")
  }
}
