import Billing
import Routing
import Testing

@testable import Proxy

/// Issue 17, rule 8: the record's duration agrees with the bill. The exact
/// milliseconds go to `duration_ms`; `duration_seconds` counts every started
/// second, as billing does (a 2.006 s call used to be recorded 2 s and billed 3 s).
@Suite struct CallDurationTests {
  @Test(
    arguments: [
      // (duration ms, duration_seconds)
      (0, 0), (1, 1), (999, 1), (1_000, 1), (1_001, 2), (2_000, 2), (2_006, 3), (65_000, 65),
      // 46 days: far inside duration_seconds' 32 bits (2^31 s is 68 years)
      (3_974_400_000, 3_974_400), (3_974_400_001, 3_974_401),
    ] as [(Int64, Int64)])
  func durationSecondsIsEveryStartedSecond(_ durationMs: Int64, _ seconds: Int64) {
    let perSecond = CallRecordChargesTests.quote("p1", "0.60", "USD", (1, 1))
    let summary = CallRecordChargesTests.summary(
      answeredAfterMs: 3_000, durationMs: durationMs, customer: perSecond, supplier: nil)
    #expect(summary.durationMs == durationMs)
    #expect(summary.durationSeconds == seconds)
    let record = summary.callRecord
    #expect(record.durationMs == durationMs)
    #expect(record.durationSeconds == seconds)
    // On 1/1 the bill and the record agree to the second.
    #expect(record.customerCharge?.billableSeconds == seconds)
    #expect(seconds <= Int64(Int32.max))
  }

  @Test func anUnansweredCallLastsNothing() {
    let summary = CallRecordChargesTests.summary(
      answeredAfterMs: nil, durationMs: 4_000, customer: nil, supplier: nil)
    #expect(summary.callRecord.durationMs == 0)
    #expect(summary.callRecord.durationSeconds == 0)
  }
}
