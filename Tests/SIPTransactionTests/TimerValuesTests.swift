import SIPTransaction
import Testing

@Suite("TimerValues (RFC 3261 Table 4)")
struct TimerValuesTests {
  @Test(
    "initial durations over UDP and TCP",
    arguments: [
      (TransactionTimer.A, 500, 500), (.B, 32_000, 32_000), (.D, 32_000, 0), (.E, 500, 500),
      (.F, 32_000, 32_000), (.G, 500, 500), (.H, 32_000, 32_000), (.I, 5000, 0), (.J, 32_000, 0),
      (.K, 5000, 0), (.L, 32_000, 32_000), (.M, 32_000, 32_000),
    ] as [(TransactionTimer, Int64, Int64)])
  func table4(timer: TransactionTimer, unreliable: Int64, reliable: Int64) {
    #expect(TimerValues.rfc3261.initialDuration(of: timer, reliable: false) == unreliable)
    #expect(TimerValues.rfc3261.initialDuration(of: timer, reliable: true) == reliable)
  }
}
