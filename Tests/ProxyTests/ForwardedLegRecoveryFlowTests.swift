import Billing
import Routing
import SIPCore
import Testing

@testable import Proxy

/// A call to a DID forwarded to a number, up when the switch dies (issue
/// 19, docs/dids.md): its checkpoint carries the forwarded leg, and a new
/// core restores it so that the caller's BYE ends it with both rows (the
/// inbound one and the leg linked to it) and the owner's wallet charged
/// once, and the wallet's credit keeps cutting it.
@Suite struct ForwardedLegRecoveryFlowTests {
  typealias H = FlowHarness
  typealias D = DIDFlowTests

  /// A call to 22 (user 5, no device: forward_unavailable to 15551234 at
  /// the supplier), answered on a fresh core; returns its checkpoint.
  func forwardedCheckpoint() throws -> DialogCheckpoint {
    let (h, _) = try D.harness()
    var taken: [DialogCheckpoint] = []
    h.journal.onAnswered = { checkpoint, release in
      taken.append(checkpoint)
      release()
    }
    h.deliver(D.invite(to: "15550002002", callID: "fwd-r"), from: D.carrier)
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    h.deliver(H.response(to: forwarded.message, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    return try #require(taken.first)
  }

  func hangUp(_ h: FlowHarness) throws {
    try RetailFlowFixture.carrierHangsUp(h, callID: "fwd-r", branch: "z9hG4bK-rbye")
  }

  @Test func theCheckpointOfAForwardedCallCarriesItsLeg() throws {
    let checkpoint = try forwardedCheckpoint()
    let leg = try #require(checkpoint.summary.forwardedLeg)
    #expect(checkpoint.summary.forwardedLegTried && checkpoint.summary.direction == .inbound)
    #expect(leg.userID == "5" && leg.calledNumber == "15551234" && leg.recordID != checkpoint.recordID)
    #expect(checkpoint.forwardedLegParties.map(\.account) == [D.wallet])
    #expect(checkpoint.forwardedLegParties.first?.quote == leg.customerQuote)
    let text = checkpoint.text
    #expect(!text.contains("\n"))
    var expected = checkpoint
    expected.summary.answeredMonotonicMs = nil
    #expect(DialogCheckpoint(text: text) == expected)
    // A malformed leg is refused, not half read.
    #expect(DialogCheckpoint(text: text.replacingOccurrences(of: "\tfl=", with: "\tfl=x,")) == nil)
    #expect(DialogCheckpoint(text: text.replacingOccurrences(of: "\tdir=inbound", with: "\tdir=up")) == nil)
  }

  @Test func aLineWrittenBeforeTheLegReadsAsACallWithoutOne() throws {
    let checkpoint = try forwardedCheckpoint()
    // What an older switch wrote: no direction, no leg, no leg parties.
    let newKeys = ["dir=", "fl=", "flq=", "flt=", "fp"]
    let older = checkpoint.text.split(separator: "\t").filter { field in
      !newKeys.contains { field.hasPrefix($0) }
    }.joined(separator: "\t")
    let read = try #require(DialogCheckpoint(text: older))
    #expect(read.summary.forwardedLeg == nil && !read.summary.forwardedLegTried)
    #expect(read.summary.direction == .outbound && read.forwardedLegParties.isEmpty)
    #expect(read.recordID == checkpoint.recordID && read.creditParties == checkpoint.creditParties)
    // It restores and ends with its one row, as before.
    let (h, _) = try D.harness()
    #expect(h.core.restore(read))
    try hangUp(h)
    #expect(h.ended.count == 1)
  }

  @Test func aRestoredForwardedCallEndsWithBothRowsAndTheWalletChargedOnce() throws {
    let checkpoint = try forwardedCheckpoint()
    let leg = try #require(checkpoint.summary.forwardedLeg)
    // A new process, 30 s after the answer: the wallet holds the time so far and a step.
    let (h, ledger) = try D.harness()
    h.clock.advance(30_000)
    #expect(h.core.restore(checkpoint))
    #expect(ledger.paidSeconds(call: leg.recordID) == 50)
    #expect(ledger.position(of: D.wallet)?.reserved == Money("0.50"))
    h.advance(2_000)
    try hangUp(h)
    #expect(h.ended.count == 2)
    let inbound = try #require(h.ended.first { $0.parentCallUUID == nil }).callRecord
    let forwarded = try #require(h.ended.first { $0.parentCallUUID != nil }).callRecord
    #expect(inbound.uuid == checkpoint.recordID && forwarded.uuid == leg.recordID)
    #expect(forwarded.parentCallUUID == inbound.uuid)
    #expect(inbound.direction == .inbound && inbound.userID == "5" && inbound.phoneNumberID == "22")
    #expect(inbound.egressCarrierID == nil && inbound.charges.isEmpty)
    #expect(forwarded.direction == .outbound && forwarded.userID == "5" && forwarded.toNumber == "15551234")
    #expect(forwarded.ingressServiceID == "s9" && forwarded.egressCarrierID == "c2")
    #expect(forwarded.durationSeconds == 32)
    #expect(
      forwarded.charges == [
        AccountCharge(account: D.wallet, column: .wallet, amount: Money("0.32")!, currency: "USD")
      ])
    #expect(ledger.position(of: D.wallet)?.reserved == .zero)
    #expect(h.core.dialogCount == 0 && h.core.liveCalls.callCount == 0)
  }

  @Test func theOwnersWalletStillCutsARestoredForwardedCall() throws {
    let checkpoint = try forwardedCheckpoint()
    // 0.10 pays 10 s at 0.60 a minute; the switch comes back 30 s after the answer.
    let (h, _) = try D.harness(balance: "0.10")
    h.clock.advance(30_000)
    #expect(h.core.restore(checkpoint))
    h.advance(10)
    let byes = h.sender.take().filter { $0.message.method == .bye }
    #expect(Set(byes.map(\.destination)) == [H.uas, D.carrier])
    let leg = try #require(h.ended.first { $0.parentCallUUID != nil })
    #expect(leg.endedBy == "credit" && leg.answeredDurationMs == 10_000)
    #expect(leg.charges.map(\.amount) == [Money("0.10")!])
    #expect(h.ended.count == 2)
  }
}
