import Foundation
import SIPCore
import Testing

@testable import Proxy

/// Every transaction ends within its timers and every dialog within its
/// lifetime, whatever the peers and the call's durability waits do
/// (ProxyCore+Deadlines). All on the manual clock; Timer C is 10 s here,
/// T1 500 ms, T4 5 s.
@Suite struct ExpiryFlowTests {
  typealias H = FlowHarness

  /// Moves the clock in steps, as the daemon's ticks do.
  func run(_ h: FlowHarness, seconds: Int) {
    for _ in 0..<(seconds * 10) { h.advance(100) }
  }

  func forwardInvite(_ h: FlowHarness) throws -> SIPMessage {
    h.deliver(H.invite())
    return try #require(h.sender.take().last?.message)
  }

  @Test func aRingingTargetThatNeverAnswersItsCancelIsForgotten() throws {
    let h = FlowHarness()
    let invite = try forwardInvite(h)
    h.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    _ = h.sender.take()
    run(h, seconds: 11)
    // Timer C: CANCEL downstream, 408 upstream; the UAS answers neither.
    let sent = h.sender.take()
    #expect(sent.contains { $0.message.method == .cancel && $0.destination == H.uas })
    #expect(sent.contains { $0.message.statusCode == 408 && $0.destination == H.uac })
    run(h, seconds: 40)
    #expect(h.core.transactionCount == 0)
    #expect(h.core.counters.transactionsExpired == 1)
    #expect(h.ended.count == 1)
  }

  @Test func aReInviteThatOnlyRingsGets408AndEnds() throws {
    let h = FlowHarness()
    let invite = try forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    h.deliver(H.inDialog("ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1))
    _ = h.sender.take()
    h.deliver(H.inDialog("INVITE", branch: "z9hG4bK-reinvite", fromTag: "uactag", toTag: "uastag", cseq: 2))
    let reinvite = try #require(h.sender.take().first { $0.destination == H.uas }?.message)
    h.deliver(H.response(to: reinvite, status: 180, reason: "Ringing", toTag: nil), from: H.uas)
    _ = h.sender.take()
    // No Timer C for a re-INVITE: the backstop answers it (C + 64*T1 + T4 = 47 s).
    run(h, seconds: 46)
    #expect(!h.sender.take().contains { $0.message.statusCode >= 200 })
    run(h, seconds: 2)
    let sent = h.sender.take()
    #expect(sent.contains { $0.message.statusCode == 408 && $0.destination == H.uac })
    #expect(sent.contains { $0.message.method == .cancel && $0.destination == H.uas })
    run(h, seconds: 80)
    #expect(h.core.transactionCount == 0)
    #expect(h.core.dialogCount == 1)
  }

  @Test func aByeAnswerHeldForARecordThatNeverBecomesDurableGets500() throws {
    let h = FlowHarness(holdByeAnswers: true)
    let invite = try forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = try #require(h.sender.take().first?.message)
    h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    #expect(h.sender.take().isEmpty)
    #expect(h.pendingReleases.count == 1)
    run(h, seconds: 43)
    let sent = h.sender.take()
    #expect(sent.map { $0.message.statusCode } == [500])
    #expect(sent.first?.destination == H.uac)
    // A release that comes after all says nothing more.
    h.pendingReleases.forEach { $0() }
    #expect(h.sender.take().isEmpty)
    run(h, seconds: 40)
    #expect(h.core.transactionCount == 0)
    #expect(h.core.counters.transactionsExpired == 1)
  }

  @Test func anAnswerHeldForACheckpointThatNeverBecomesDurableEndsTheCall() throws {
    let h = FlowHarness()
    var held: [() -> Void] = []
    h.journal.onAnswered = { _, release in held.append(release) }
    let invite = try forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    #expect(h.sender.take().isEmpty)
    #expect(h.core.dialogCount == 1)
    // C + 64*T1 + 2*T4 = 52 s after the branch started.
    run(h, seconds: 53)
    let sent = h.sender.take()
    #expect(sent.contains { $0.message.statusCode == 500 && $0.destination == H.uac })
    #expect(h.core.dialogCount == 0)
    #expect(h.ended.map(\.endedBy) == ["not_durable"])
    held.forEach { $0() }
    #expect(!h.sender.take().contains { $0.message.statusCode == 200 })
    run(h, seconds: 40)
    #expect(h.core.transactionCount == 0)
  }

  @Test func everyTransactionOfAnUnansweredCallEndsAndItsStateIsFreed() throws {
    let h = FlowHarness()
    _ = try forwardInvite(h)
    weak let context = (h.core.transactions.servers.values.first as? ServerTransactionRecord)?.context
    weak let branch = h.core.transactions.clients.values.first
    #expect(context != nil && branch != nil)
    // Timer B: 408 upstream; the UAC never ACKs it (Timer H).
    run(h, seconds: 80)
    #expect(h.core.transactionCount == 0)
    #expect(h.ended.map(\.finalStatus) == [408])
    #expect(context == nil)
    #expect(branch == nil)
  }

  @Test func anInDialogRequestToASilentPeerEnds() throws {
    let h = FlowHarness()
    let invite = try forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(H.inDialog("INFO", branch: "z9hG4bK-info", fromTag: "uactag", toTag: "uastag"))
    run(h, seconds: 80)
    #expect(h.sender.take().contains { $0.message.statusCode == 408 && $0.destination == H.uac })
    #expect(h.core.transactionCount == 0)
  }
}

/// A dialog ends at `maxDialogLifetimeMs` from its answer when nothing else
/// bounds it (a lost BYE): forgotten in proxy mode, ended with BYE both ways
/// when a policy kept what a BYE needs; a record either way.
@Suite struct DialogLifetimeTests {
  typealias H = FlowHarness

  func answer(_ h: FlowHarness, extra: [String] = []) throws {
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(PolicyFlowTests.response(to: invite, 200, "OK", extra: extra), from: H.uas)
    h.deliver(H.inDialog("ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1))
    _ = h.sender.take()
  }

  @Test func aDialogWhoseByeWasLostIsForgottenAtItsLifetime() throws {
    let h = FlowHarness(maxDialogLifetimeMs: 60_000)
    try answer(h)
    h.advance(59_999)
    #expect(h.core.dialogCount == 1)
    h.advance(1)
    #expect(h.core.dialogCount == 0)
    #expect(h.core.counters.dialogsExpired == 1)
    #expect(h.core.liveCalls.callCount == 0)
    #expect(h.sender.take().isEmpty)  // proxy mode: nothing to send a BYE with
    let summary = try #require(h.ended.first)
    #expect(summary.endedBy == "max_lifetime")
    #expect(summary.durationSeconds == 60)
  }

  @Test func withAPolicyTheSwitchSendsByeToBothSides() throws {
    let h = FlowHarness(
      call: PolicyFlowTests.call(CallPolicy(sessionTimer: true)), maxDialogLifetimeMs: 60_000)
    try answer(h)  // no Session-Expires in the 2xx: no session timer
    h.advance(60_000)
    let byes = h.sender.take()
    #expect(Set(byes.map(\.destination)) == [H.uas, H.uac])
    #expect(byes.allSatisfy { $0.message.method == .bye })
    #expect(byes.first?.message.headerValues("reason").first?.contains("Maximum Dialog Lifetime") == true)
    #expect(h.ended.map(\.endedBy) == ["max_lifetime"])
  }

  @Test func aNegotiatedSessionTimerBoundsTheDialogInstead() throws {
    let h = FlowHarness(
      call: PolicyFlowTests.call(CallPolicy(sessionTimer: true)), maxDialogLifetimeMs: 60_000)
    try answer(h, extra: ["Session-Expires: 1800;refresher=uac"])
    h.advance(60_000)
    #expect(h.core.dialogCount == 1)
    #expect(h.core.counters.dialogsExpired == 0)
  }

  @Test func aByeBeforeTheLifetimeCancelsIt() throws {
    let h = FlowHarness(maxDialogLifetimeMs: 60_000)
    try answer(h)
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = try #require(h.sender.take().first?.message)
    h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    h.advance(60_000)
    #expect(h.core.counters.dialogsExpired == 0)
    #expect(h.ended.map(\.endedBy) == ["caller"])
  }
}

/// The transaction tables give back a flood's capacity once it has passed.
@Suite struct TableCompactionTests {
  typealias H = FlowHarness

  @Test func aFloodOfUnansweredInvitesLeavesSmallTables() {
    let h = FlowHarness()
    for n in 0..<3_000 { h.deliver(H.invite(callID: "flood-\(n)", branch: "z9hG4bK-flood-\(n)")) }
    _ = h.sender.take()
    #expect(h.core.transactions.servers.capacity >= 3_000)
    for _ in 0..<90 { h.advance(1_000) }
    h.sender.sent.removeAll()
    #expect(h.core.transactionCount == 0)
    #expect(h.core.transactions.servers.capacity < 1_024)
    #expect(h.core.transactions.clients.capacity < 1_024)
    #expect(h.core.liveCalls.capacity < 1_024)
  }
}
