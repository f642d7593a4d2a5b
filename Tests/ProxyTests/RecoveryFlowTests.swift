import Billing
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Calls up when the switch dies: the 2xx waits for the call's checkpoint,
/// and a new core restores a checkpoint so that the call's BYE, its credit
/// cut-off and its capacity count carry on as if nothing had happened.
@Suite struct RecoveryFlowTests {
  typealias H = FlowHarness
  typealias C = CreditFlowTests

  /// A credit-controlled call answered on a fresh core; returns the
  /// checkpoint the core handed over (its answer released at once).
  func answeredCheckpoint(balance: String = "1.00") throws -> (DialogCheckpoint, FlowHarness) {
    let (h, _) = C.harness(balance: balance, supplierBalance: "5.00")
    var taken: [DialogCheckpoint] = []
    h.journal.onAnswered = { checkpoint, release in
      taken.append(checkpoint)
      release()
    }
    h.deliver(H.invite())
    let invite = h.sender.take().last!.message
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    return (try #require(taken.first), h)
  }

  @Test func theAnswerWaitsUntilItsCheckpointIsDurable() throws {
    let (h, ledger) = C.harness(balance: "1.00", supplierBalance: "5.00")
    var held: [(DialogCheckpoint, () -> Void)] = []
    h.journal.onAnswered = { held.append(($0, $1)) }
    h.deliver(H.invite())
    let invite = h.sender.take().last!.message
    let ok = H.response(to: invite, status: 200, reason: "OK")
    h.deliver(ok, from: H.uas)
    h.deliver(ok, from: H.uas)  // the callee retransmits while the checkpoint is written
    #expect(h.sender.take().isEmpty)
    try #require(held.count == 1)
    let checkpoint = held[0].0
    #expect(checkpoint.summary.toTag == "uastag")
    #expect(checkpoint.summary.answeredUnixMs == h.clock.unixMs)
    #expect(checkpoint.caller == H.uac && checkpoint.callee == H.uas)
    #expect(checkpoint.creditParties.map(\.account) == [C.customer, C.supplier])
    #expect(checkpoint.creditParties.first?.quote == C.price)
    #expect(ledger.paidSeconds(call: checkpoint.recordID) == 20)
    held[0].1()
    let relayed = h.sender.take()
    #expect(relayed.count == 1)
    #expect(relayed.first?.destination == H.uac)
    #expect(relayed.first?.message.statusCode == 200)
    // Later retransmissions go upstream as before (RFC 6026).
    h.deliver(ok, from: H.uas)
    #expect(h.sender.take().map(\.destination) == [H.uac])
  }

  @Test func aCheckpointReadsBackAsItWasWritten() throws {
    var (checkpoint, _) = try answeredCheckpoint()
    checkpoint.summary.fromUser = "odd\tuser,with%chars\nand ünïcode"
    checkpoint.summary.rating.supplier = RateQuote(
      ratingPlanID: "p,2", prefix: "1", currency: "EUR", ratePerMinute: Money("0.25")!,
      connectionFee: Money("0.01")!, increments: BillingIncrements(initial: 30, recurring: 6)!,
      timeClass: "peak",
      exchangeRate: 920_000)
    checkpoint.maxDurationMs = 3_600_000
    checkpoint.sessionInterval = 1800
    // A softphone user's call keeps its user and number across a restart.
    (checkpoint.summary.userID, checkpoint.summary.phoneNumberID) = ("1001", "8")
    // And the time it started ringing (`calls.ringing_at`, written when it ends).
    checkpoint.summary.ringingUnixMs = 1_790_000_000_250
    let text = checkpoint.text
    #expect(!text.contains("\n"))
    let read = try #require(DialogCheckpoint(text: text))
    // A monotonic reading means nothing to another process: `restore` derives it.
    checkpoint.summary.answeredMonotonicMs = nil
    #expect(read == checkpoint)
    #expect(read.control != nil)
    #expect(DialogCheckpoint(text: "dc0\tid=x") == nil)
    #expect(DialogCheckpoint(text: text.replacingOccurrences(of: "\tan=", with: "\tan=x")) == nil)
  }

  @Test func aRestoredCallEndsWithItsRecordAndChargesWhenItsByeArrives() throws {
    let (checkpoint, _) = try answeredCheckpoint()
    // A new process, 30 s after the answer.
    let (h, ledger) = C.harness(balance: "1.00", supplierBalance: "5.00")
    h.clock.advance(30_000)
    #expect(h.core.restore(checkpoint))
    #expect(!h.core.restore(checkpoint))
    #expect(h.core.dialogCount == 1)
    #expect(h.core.counters.callsRestored == 1)
    #expect(h.core.liveCalls.calls(carrier: C.ingress.carrierID) == 1)
    #expect(h.core.liveCalls.calls(carrier: C.egress.carrierID) == 1)
    #expect(ledger.paidSeconds(call: checkpoint.recordID) == 50)
    h.advance(2_000)
    // SIPp's built-in caller: BYE without a Route, matched to the dialog.
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye-9", fromTag: "uactag", toTag: "uastag", cseq: 2))
    let bye = try #require(h.sender.take().last)
    #expect(bye.destination == H.uas)
    h.deliver(
      H.response(to: bye.message, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    let summary = try #require(h.ended.first)
    #expect(summary.recordID == checkpoint.recordID)
    #expect(summary.endedBy == "caller")
    #expect(summary.answeredDurationMs == 32_000)
    #expect(summary.charges.map(\.amount) == [Money("0.32")!, Money("0.16")!])
    #expect(summary.callRecord.durationSeconds == 32)
    #expect(h.core.dialogCount == 0)
    #expect(h.core.liveCalls.callCount == 0)
    #expect(ledger.position(of: C.customer)?.reserved == .zero)
  }

  @Test func aRestoredCallWhoseMoneyRanOutMeanwhileIsCutAtOnceAndBilledWhatWasPaid() throws {
    // 0.10 pays 10 s; the switch comes back 30 s after the answer.
    let (checkpoint, _) = try answeredCheckpoint(balance: "0.10")
    let (h, _) = C.harness(balance: "0.10", supplierBalance: "5.00")
    h.clock.advance(30_000)
    #expect(h.core.restore(checkpoint))
    h.advance(10)
    let byes = h.sender.take()
    #expect(Set(byes.map(\.destination)) == [H.uac, H.uas])
    #expect(byes.allSatisfy { $0.message.method == .bye })
    // The switch's own BYE is above any CSeq of the caller's since the checkpoint.
    let towardsCallee = try #require(byes.first { $0.destination == H.uas }?.message)
    #expect((towardsCallee.cseq?.number ?? 0) > 1000)
    let summary = try #require(h.ended.first)
    #expect(summary.endedBy == "credit")
    #expect(summary.answeredDurationMs == 10_000)
    #expect(summary.charges.first?.amount == Money("0.10")!)
  }

  @Test func aRestoredCallKeepsItsMaximumDurationFromTheAnswer() throws {
    var (checkpoint, _) = try answeredCheckpoint()
    checkpoint.maxDurationMs = 60_000
    let (h, _) = C.harness(balance: "100.00", supplierBalance: "100.00")
    h.clock.advance(45_000)
    #expect(h.core.restore(checkpoint))
    h.advance(14_990)
    #expect(h.sender.take().allSatisfy { $0.message.method != .bye })
    h.advance(20)
    #expect(h.sender.take().filter { $0.message.method == .bye }.count == 2)
    #expect(h.ended.first?.endedBy == "max_duration")
  }
}
