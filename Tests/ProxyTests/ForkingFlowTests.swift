import Foundation
import SIPCore
import Testing

@testable import Proxy

/// Parallel forking (RFC 3261 §16.6-16.7, docs/softphones.md "Forking"):
/// a call's branches ring together by q group; the first 2xx wins and the
/// others are cancelled; a late 2xx is ACKed and BYEd; best response; one
/// no-answer timeout for the whole fork; the caller's CANCEL cancels all.
@Suite struct ForkingFlowTests {
  typealias H = FlowHarness
  static let uas3 = Endpoint(transport: .udp, host: "127.0.0.1", port: 5082)

  static func fork(_ targets: [(Endpoint, Int?)], hook: UnansweredHook? = nil) -> FlowHarness {
    let call = RoutedCall(
      targets: targets.map { RouteTarget(destination: $0.0, qThousandths: $0.1) }, forking: .parallel,
      whenUnanswered: hook)
    return FlowHarness(call: call)
  }

  /// The INVITE each destination got from the messages just sent.
  static func invites(_ sent: [RecordingSender.Sent]) -> [Endpoint: SIPMessage] {
    var out: [Endpoint: SIPMessage] = [:]
    for item in sent where item.message.method == .invite { out[item.destination] = item.message }
    return out
  }

  static func answer(_ h: FlowHarness, _ invite: SIPMessage, from: Endpoint, _ status: Int, _ reason: String)
  {
    h.deliver(H.response(to: invite, status: status, reason: reason, toTag: "tag\(from.port)"), from: from)
  }

  static func toCaller(_ sent: [RecordingSender.Sent]) -> [Int] {
    sent.filter { $0.destination == H.uac }.map { $0.message.statusCode }
  }

  static func methods(_ sent: [RecordingSender.Sent], to destination: Endpoint) -> [SIPMethod?] {
    sent.filter { $0.destination == destination }.map { $0.message.method }
  }

  @Test func everyBranchRingsAtOnceAndTheFirstAnswerWinsTheOthersGetCancel() throws {
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)])
    let heard = Self.recordAnswers(h)
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    let first = try #require(invites[H.uas])
    let second = try #require(invites[H.uas2])
    #expect(first.topVia?.branch != second.topVia?.branch)
    #expect(first.viaCount == 2 && second.viaCount == 2)
    Self.answer(h, first, from: H.uas, 180, "Ringing")
    Self.answer(h, second, from: H.uas2, 180, "Ringing")
    #expect(Self.toCaller(h.sender.take()) == [180, 180])
    Self.answer(h, second, from: H.uas2, 200, "OK")
    let sent = h.sender.take()
    #expect(Self.toCaller(sent) == [200])
    #expect(Self.methods(sent, to: H.uas) == [.cancel])
    // The loser's 487 is ACKed hop by hop and goes no further.
    Self.answer(h, first, from: H.uas, 487, "Request Terminated")
    let after = h.sender.take()
    #expect(Self.methods(after, to: H.uas) == [.ack])
    #expect(Self.toCaller(after).isEmpty)
    #expect(h.core.dialogCount == 1)
    #expect(heard.answered.first?.destination == H.uas2)
  }

  @Test func aLateAnswerOfASecondBranchIsAckedAndByedNeverRelayed() throws {
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)])
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    let first = try #require(invites[H.uas])
    let second = try #require(invites[H.uas2])
    Self.answer(h, first, from: H.uas, 180, "Ringing")
    Self.answer(h, second, from: H.uas2, 180, "Ringing")
    _ = h.sender.take()
    Self.answer(h, first, from: H.uas, 200, "OK")
    #expect(Self.toCaller(h.sender.take()) == [200])
    // The CANCEL crossed the second phone's answer.
    Self.answer(h, second, from: H.uas2, 200, "OK")
    let sent = h.sender.take()
    #expect(Self.toCaller(sent).isEmpty)
    let toSecond = sent.filter { $0.destination == H.uas2 }.map(\.message)
    #expect(toSecond.map(\.method) == [.ack, .bye])
    #expect(toSecond.allSatisfy { $0.toTag == "tag5081" && $0.callID == "call-1" })
    #expect(toSecond.first?.cseq?.number == 1)
    #expect(toSecond.last?.cseq?.number == 2)
    #expect(toSecond.last?.headerValues("reason").first?.contains("cause=200") == true)
    // Its retransmission is ACKed again, with no second BYE.
    Self.answer(h, second, from: H.uas2, 200, "OK")
    let again = h.sender.take()
    #expect(Self.methods(again, to: H.uas2) == [.ack])
    #expect(Self.toCaller(again).isEmpty)
    #expect(h.core.counters.lateAnswersEnded == 1)
    #expect(h.core.dialogCount == 1)
  }

  @Test func busyFromEveryDeviceGives486() throws {
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)])
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 486, "Busy Here")
    #expect(Self.toCaller(h.sender.take()).isEmpty)
    Self.answer(h, try #require(invites[H.uas2]), from: H.uas2, 486, "Busy Here")
    #expect(Self.toCaller(h.sender.take()) == [486])
    #expect(h.ended.first?.finalStatus == 486)
    #expect(h.ended.count == 1)
  }

  @Test func a6xxStopsTheSearchAndCancelsTheRest() throws {
    let h = Self.fork([(H.uas, 1000), (H.uas2, 1000), (Self.uas3, 500)])
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    #expect(invites[Self.uas3] == nil)
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 180, "Ringing")
    _ = h.sender.take()
    Self.answer(h, try #require(invites[H.uas2]), from: H.uas2, 603, "Decline")
    let sent = h.sender.take()
    #expect(Self.toCaller(sent) == [603])
    #expect(Self.methods(sent, to: H.uas) == [.cancel])
    #expect(!sent.contains { $0.destination == Self.uas3 })
  }

  @Test func qGroupsRingInOrder() throws {
    let h = Self.fork([(H.uas, 1000), (H.uas2, 1000), (Self.uas3, 500)])
    let heard = Self.recordAnswers(h)
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    #expect(Set(invites.keys) == [H.uas, H.uas2])
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 480, "Temporarily Unavailable")
    #expect(Self.invites(h.sender.take()).isEmpty)
    Self.answer(h, try #require(invites[H.uas2]), from: H.uas2, 408, "Request Timeout")
    let next = Self.invites(h.sender.take())
    let third = try #require(next[Self.uas3])
    #expect(next.count == 1)
    Self.answer(h, third, from: Self.uas3, 200, "OK")
    #expect(Self.toCaller(h.sender.take()) == [200])
    #expect(heard.answered.first?.attempts == 3)
    #expect(heard.answered.first?.destination == Self.uas3)
  }

  /// Issue 19's defect: the no-answer timeout on a ringing phone gave the
  /// caller 408 while the next phone was rung, whose 200 nobody ACKed. Now
  /// the timeout ends the whole fork and nothing starts after it.
  @Test func theNoAnswerTimeoutEndsTheForkAndStartsNothingAfter() throws {
    let h = RegistrarFlowTests.harness()
    let desk = Endpoint(transport: .udp, host: "192.0.2.77", port: 40_123)
    let mobile = Endpoint(transport: .udp, host: "192.0.2.78", port: 40_124)
    h.deliver(Self.register(contact: "<sip:alice@10.0.0.5:5062>;q=1.0", callID: "reg-d"), from: desk)
    h.deliver(Self.register(contact: "<sip:alice@10.0.0.6:5062>;q=0.5", callID: "reg-m"), from: mobile)
    #expect(h.sender.take().filter { $0.message.statusCode == 200 }.count == 2)
    #expect(h.core.registrar?.bindingCount == 2)
    h.deliver(RegistrarFlowTests.invite(to: "alice"))
    let invites = Self.invites(h.sender.take())
    #expect(Set(invites.keys) == [desk])
    let ringing = try #require(invites[desk])
    Self.answer(h, ringing, from: desk, 180, "Ringing")
    _ = h.sender.take()
    h.advance(10_000)
    let sent = h.sender.take()
    #expect(Self.toCaller(sent) == [408])
    #expect(Self.methods(sent, to: desk) == [.cancel])
    #expect(!sent.contains { $0.destination == mobile })
    Self.answer(h, ringing, from: desk, 487, "Request Terminated")
    for _ in 0..<40 { h.advance(1_000) }
    let later = h.sender.take()
    #expect(!later.contains { $0.destination == mobile })
    // Only the 408's retransmissions (the caller here never ACKs it).
    #expect(Self.toCaller(later).allSatisfy { $0 == 408 })
    #expect(h.ended.count == 1)
    #expect(h.ended.first?.finalStatus == 408)
  }

  @Test func anAnswerAfterTheCallersFinalResponseIsAckedAndByed() throws {
    let h = Self.fork([(H.uas, nil)])
    h.deliver(H.invite())
    let invite = try #require(Self.invites(h.sender.take())[H.uas])
    Self.answer(h, invite, from: H.uas, 180, "Ringing")
    _ = h.sender.take()
    h.advance(10_000)
    #expect(Self.toCaller(h.sender.take()) == [408])
    // The phone answered as the CANCEL crossed: never relayed, ACKed and BYEd.
    Self.answer(h, invite, from: H.uas, 200, "OK")
    let sent = h.sender.take()
    #expect(Self.toCaller(sent).isEmpty)
    #expect(Self.methods(sent, to: H.uas) == [.ack, .bye])
    #expect(h.core.dialogCount == 0)
    #expect(h.ended.count == 1)
  }

  @Test func a503FromEveryBranchGoesUpAs500() throws {
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)])
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 503, "Service Unavailable")
    Self.answer(h, try #require(invites[H.uas2]), from: H.uas2, 503, "Service Unavailable")
    #expect(Self.toCaller(h.sender.take()) == [500])
  }

  /// The carrier path keeps failing over at Timer C, but the cancelled
  /// target's 487 no longer ends the call while the next one rings.
  @Test func sequentialFailoverAtTimerCIgnoresTheCancelledTargets487() throws {
    let h = FlowHarness(targets: [H.uas, H.uas2])
    h.deliver(H.invite())
    let first = try #require(Self.invites(h.sender.take())[H.uas])
    Self.answer(h, first, from: H.uas, 180, "Ringing")
    _ = h.sender.take()
    h.advance(10_000)
    let sent = h.sender.take()
    #expect(Self.methods(sent, to: H.uas) == [.cancel])
    let second = try #require(Self.invites(sent)[H.uas2])
    Self.answer(h, first, from: H.uas, 487, "Request Terminated")
    #expect(Self.toCaller(h.sender.take()).isEmpty)
    Self.answer(h, second, from: H.uas2, 200, "OK")
    #expect(Self.toCaller(h.sender.take()) == [200])
    #expect(h.core.dialogCount == 1)
  }

  @Test func theCallersCancelCancelsEveryBranch() throws {
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)])
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    let first = try #require(invites[H.uas])
    let second = try #require(invites[H.uas2])
    Self.answer(h, first, from: H.uas, 180, "Ringing")
    Self.answer(h, second, from: H.uas2, 183, "Session Progress")
    _ = h.sender.take()
    h.deliver(H.invite().replacingOccurrences(of: "INVITE", with: "CANCEL"))
    let sent = h.sender.take()
    #expect(Self.toCaller(sent) == [200])
    #expect(Self.methods(sent, to: H.uas) == [.cancel])
    #expect(Self.methods(sent, to: H.uas2) == [.cancel])
    Self.answer(h, first, from: H.uas, 487, "Request Terminated")
    #expect(Self.toCaller(h.sender.take()).isEmpty)
    Self.answer(h, second, from: H.uas2, 487, "Request Terminated")
    #expect(Self.toCaller(h.sender.take()) == [487])
    #expect(h.ended.first?.outcome == .cancelled)
  }

  @Test func aBranchWithoutAProvisionalIsCancelledOnceItRings() throws {
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)])
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    let second = try #require(invites[H.uas2])
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 200, "OK")
    let sent = h.sender.take()
    #expect(Self.toCaller(sent) == [200])
    #expect(Self.methods(sent, to: H.uas2).isEmpty)  // §9.1: not before a provisional
    Self.answer(h, second, from: H.uas2, 180, "Ringing")
    let after = h.sender.take()
    #expect(Self.methods(after, to: H.uas2) == [.cancel])
    #expect(Self.toCaller(after).isEmpty)
  }

  @Test func theUnansweredHookHearsBusyAndRoutesTheCallOn() throws {
    let heard = Heard()
    let hook = UnansweredHook { outcome in
      heard.outcomes.append(outcome)
      return .route(RoutedCall(targets: [RouteTarget(destination: Self.uas3)]))
    }
    let h = Self.fork([(H.uas, nil), (H.uas2, nil)], hook: hook)
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 486, "Busy Here")
    Self.answer(h, try #require(invites[H.uas2]), from: H.uas2, 600, "Busy Everywhere")
    #expect(heard.outcomes == [.busy])
    let sent = h.sender.take()
    #expect(Self.toCaller(sent).isEmpty)
    let forward = try #require(Self.invites(sent)[Self.uas3])
    #expect(forward.viaCount == 2)
    Self.answer(h, forward, from: Self.uas3, 200, "OK")
    #expect(Self.toCaller(h.sender.take()) == [200])
  }

  @Test func theUnansweredHookHearsNoAnswerAndMayRefuse() throws {
    let heard = Heard()
    let hook = UnansweredHook { outcome in
      heard.outcomes.append(outcome)
      return .reject(status: 480, reason: "Temporarily Unavailable")
    }
    let h = Self.fork([(H.uas, nil)], hook: hook)
    h.deliver(H.invite())
    let invite = try #require(Self.invites(h.sender.take())[H.uas])
    Self.answer(h, invite, from: H.uas, 180, "Ringing")
    _ = h.sender.take()
    h.advance(10_000)
    #expect(heard.outcomes == [.noAnswer])
    #expect(Self.toCaller(h.sender.take()) == [480])
    #expect(h.ended.count == 1)
  }

  @Test func aRouterMayShortenTheNoAnswerTimeoutAndHearsUnavailable() throws {
    let heard = Heard()
    let hook = UnansweredHook { outcome in
      heard.outcomes.append(outcome)
      return nil
    }
    var call = RoutedCall(
      targets: [RouteTarget(destination: H.uas), RouteTarget(destination: H.uas2)], forking: .parallel,
      whenUnanswered: hook)
    call.noAnswerTimeoutMs = 3_000
    let h = FlowHarness(call: call)
    h.deliver(H.invite())
    let invites = Self.invites(h.sender.take())
    Self.answer(h, try #require(invites[H.uas]), from: H.uas, 180, "Ringing")
    _ = h.sender.take()
    h.advance(2_999)
    #expect(Self.toCaller(h.sender.take()).isEmpty)
    h.advance(1)
    #expect(heard.outcomes == [.noAnswer])
    #expect(Self.toCaller(h.sender.take()) == [408])

    // Busy and unavailable mixed: unavailable, with the best response's status.
    let h2 = Self.fork([(H.uas, nil), (H.uas2, nil)], hook: hook)
    h2.deliver(H.invite())
    let second = Self.invites(h2.sender.take())
    Self.answer(h2, try #require(second[H.uas]), from: H.uas, 486, "Busy Here")
    Self.answer(h2, try #require(second[H.uas2]), from: H.uas2, 480, "Temporarily Unavailable")
    #expect(heard.outcomes == [.noAnswer, .unavailable(status: 486)])
    #expect(Self.toCaller(h2.sender.take()) == [486])
  }

  @Test func theRegistrarRouterForksEveryDeviceInParallelByQ() throws {
    let h = RegistrarFlowTests.harness()
    let desk = Endpoint(transport: .udp, host: "192.0.2.77", port: 40_123)
    let mobile = Endpoint(transport: .udp, host: "192.0.2.78", port: 40_124)
    h.deliver(Self.register(contact: "<sip:alice@10.0.0.5:5062>", callID: "reg-d"), from: desk)
    h.deliver(Self.register(contact: "<sip:alice@10.0.0.6:5062>;q=1", callID: "reg-m"), from: mobile)
    #expect(h.sender.take().filter { $0.message.statusCode == 200 }.count == 2)
    #expect(h.core.registrar?.bindingCount == 2)
    h.deliver(RegistrarFlowTests.invite(to: "alice"))
    let invites = Self.invites(h.sender.take())
    #expect(Set(invites.keys) == [desk, mobile])
    #expect(invites[mobile]?.requestURIText == "sip:alice@10.0.0.6:5062")
  }

  /// A carrier's call to a DID whose owner has no rule: every binding rings at once.
  @Test func aCallToADIDWithoutARuleRingsEveryDeviceAtOnce() throws {
    let (h, _) = try DIDFlowTests.harness()
    let mobile = Endpoint(transport: .udp, host: "192.0.2.78", port: 40_124)
    _ = h.core.registrar?.register(
      Registrar.Request(
        requestURI: "sip:\(DIDFlowTests.domain)", to: "<sip:1001@\(DIDFlowTests.domain)>",
        contacts: ["<sip:1001@192.0.2.78:40124>"], expires: 3600, callID: "reg-2", cseq: 1, source: mobile),
      nowMs: 0)
    h.deliver(DIDFlowTests.invite(to: "+15550001001"), from: DIDFlowTests.carrier)
    let invites = Self.invites(h.sender.take())
    #expect(Set(invites.keys) == [DIDFlowTests.phone, mobile])
    let desk = try #require(invites[DIDFlowTests.phone])
    Self.answer(h, try #require(invites[mobile]), from: mobile, 180, "Ringing")
    Self.answer(h, desk, from: DIDFlowTests.phone, 200, "OK")
    let sent = h.sender.take()
    #expect(sent.contains { $0.destination == DIDFlowTests.carrier && $0.message.statusCode == 200 })
    #expect(Self.methods(sent, to: mobile) == [.cancel])
  }

  static func register(contact: String, callID: String) -> String {
    RegistrarFlowTests.register.replacingOccurrences(
      of: "Contact: <sip:alice@10.0.0.5:5062;ob>;expires=300", with: "Contact: \(contact);expires=300"
    ).replacingOccurrences(of: "Call-ID: reg-1", with: "Call-ID: \(callID)")
      .replacingOccurrences(of: "branch=z9hG4bK-reg-1", with: "branch=z9hG4bK-\(callID)")
  }

  final class Heard: @unchecked Sendable {
    var outcomes: [ForkOutcome] = []
    var answered: [CallSummary] = []
  }

  /// Records each answered call's summary (its checkpoint) as the journal gets it.
  static func recordAnswers(_ h: FlowHarness) -> Heard {
    let heard = Heard()
    h.journal.onAnswered = { checkpoint, release in
      heard.answered.append(checkpoint.summary)
      release()
    }
    return heard
  }
}
