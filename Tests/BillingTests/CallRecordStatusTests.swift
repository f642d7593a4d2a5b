import Testing

@testable import Billing

/// `calls.status` from a call's outcome (docs/database.md): the caller's
/// CANCEL is `cancelled` (issue 18 item 8), a 487 nobody asked for is
/// `no_answer`.
@Suite struct CallRecordStatusTests {
  @Test(arguments: [
    (false, false, 486, CallRecord.Status.busy), (false, false, 600, .busy),
    (false, false, 408, .noAnswer), (false, false, 480, .noAnswer), (false, false, 487, .noAnswer),
    (false, true, 487, .cancelled), (false, false, 503, .failed), (false, false, 404, .failed),
    (true, false, 200, .completed),
    // A CANCEL that crossed the 2xx: the caller got the answer, the call was answered.
    (true, true, 200, .completed),
  ])
  func theStatusFollowsTheOutcome(
    answered: Bool, cancelled: Bool, sipStatus: Int, expected: CallRecord.Status
  ) {
    #expect(
      CallRecord.status(answered: answered, cancelledByCaller: cancelled, sipStatus: sipStatus) == expected)
  }

  @Test func cancelledIsTheSeedEnumsNewValue() {
    #expect(CallRecord.Status(rawValue: "cancelled") == .cancelled)
    #expect(CallRecord.Status.allCases.count == 8)
  }
}
