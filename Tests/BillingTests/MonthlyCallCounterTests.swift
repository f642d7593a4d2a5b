import Testing

@testable import Billing

/// The UTC month of a call and the counter's arithmetic (migration 0020).
@Suite struct MonthlyCallCounterTests {
  @Test(arguments: [
    (Int64(0), "1970-01"), (951_868_799_999, "2000-02"), (951_868_800_000, "2000-03"),
    (1_709_251_199_999, "2024-02"), (1_709_251_200_000, "2024-03"), (1_798_761_599_999, "2026-12"),
    (1_798_761_600_000, "2027-01"), (-1, "1969-12"),
  ])
  func theMonthIsTheUTCCalendarMonth(unixMs: Int64, text: String) {
    #expect(CalendarMonth(unixMs: unixMs).description == text)
    #expect(CalendarMonth(text: text) == CalendarMonth(unixMs: unixMs))
  }

  @Test func badMonthTextIsRefused() {
    for text in ["2024-13", "2024-00", "24-01", "2024-1", "2024/01", "", "2024-01-01"] {
      #expect(CalendarMonth(text: text) == nil, "\(text)")
    }
  }

  @Test func heldCallsCountAndUnansweredOnesAreFreed() {
    let counter = MonthlyCallCounter()
    #expect(counter.admit(call: "a", userID: "1", limit: 2, unixMs: 0))
    #expect(counter.admit(call: "b", userID: "1", limit: 2, unixMs: 0))
    #expect(!counter.admit(call: "c", userID: "1", limit: 2, unixMs: 0))
    // Another user, and an unlimited one, are not affected.
    #expect(counter.admit(call: "d", userID: "2", limit: 2, unixMs: 0))
    #expect(counter.admit(call: "e", userID: "1", limit: nil, unixMs: 0))
    counter.end(call: "a", answered: false)
    counter.end(call: "a", answered: false)
    #expect(counter.count(userID: "1", unixMs: 0) == 2)
    counter.end(call: "b", answered: true)
    counter.end(call: "e", answered: true)
    #expect(counter.count(userID: "1", unixMs: 0) == 2)
    // Committed, then a read that includes them replaces them.
    counter.committed(uuids: ["b", "e"])
    let month = CalendarMonth(unixMs: 0)
    counter.load(
      [MonthlyCallCounter.Key(userID: "1", month: month): 2], month: month, token: counter.beginSync())
    #expect(counter.count(userID: "1", unixMs: 0) == 2)
    #expect(!counter.admit(call: "f", userID: "1", limit: 2, unixMs: 0))
    #expect(counter.admit(call: "g", userID: "1", limit: 2, unixMs: 0, force: true))
  }
}
