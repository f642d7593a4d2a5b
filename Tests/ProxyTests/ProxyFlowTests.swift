import Foundation
import Policy
import SIPCore
import Testing

@testable import Proxy

@Suite struct ProxyFlowTests {
  typealias H = FlowHarness

  /// Delivers an INVITE and returns the copy forwarded to the next hop.
  func forwardInvite(_ h: FlowHarness, _ text: String = H.invite()) -> SIPMessage {
    h.deliver(text)
    let sent = h.sender.take()
    #expect(sent.count == 2)
    #expect(sent.first?.message.statusCode == 100)
    #expect(sent.first?.destination == H.uac)
    let forwarded = sent.last!
    #expect(forwarded.destination == H.uas)
    return forwarded.message
  }

  @Test func inviteIsForwardedWithViaRecordRouteAndMaxForwards() {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    #expect(invite.method == .invite)
    #expect(invite.viaCount == 2)
    #expect(invite.topVia?.host == "127.0.0.1")
    #expect(invite.topVia?.port == 5070)
    #expect(invite.topVia?.hasRFC3261Branch == true)
    #expect(invite.via(at: 1)?.branch == "z9hG4bK-uac-1")
    #expect(invite.maxForwards == 69)
    #expect(invite.recordRouteCount == 1)
    #expect(invite.recordRoute(at: 0)?.isLooseRouter == true)
    #expect(invite.recordRoute(at: 0)?.port == 5070)
    #expect(invite.requestURIText == "sip:service@127.0.0.1:5070")
    #expect(invite.bodyCount == 1)
  }

  @Test func missingMaxForwardsIsSetToSeventy() {
    let h = FlowHarness()
    let invite = forwardInvite(h, H.invite(maxForwards: nil))
    #expect(invite.maxForwards == 70)
  }

  @Test func answeredCallEndsWithOneSummary() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    let ringing = h.sender.take()
    #expect(ringing.count == 1)
    #expect(ringing[0].destination == H.uac)
    #expect(ringing[0].message.statusCode == 180)
    #expect(ringing[0].message.viaCount == 1)
    h.clock.advance(2_000)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    let ok = h.sender.take()
    #expect(ok.map { $0.message.statusCode } == [200])
    #expect(ok[0].message.recordRouteCount == 1)
    #expect(h.core.dialogCount == 1)
    // SIPp's built-in uac sends ACK and BYE without Route: matched to the dialog.
    h.deliver(H.inDialog("ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1))
    let ack = h.sender.take()
    #expect(ack.count == 1)
    #expect(ack[0].destination == H.uas)
    #expect(ack[0].message.method == .ack)
    #expect(ack[0].message.viaCount == 2)
    h.clock.advance(65_000)
    // The wall clock steps back (NTP, a resumed VM): durations use the monotonic clock.
    h.clock.unixMs -= 30_000
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = h.sender.take()
    #expect(bye.count == 1)
    #expect(bye[0].destination == H.uas)
    h.deliver(
      H.response(to: bye[0].message, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    let byeOK = h.sender.take()
    #expect(byeOK.map { $0.message.statusCode } == [200])
    #expect(byeOK[0].destination == H.uac)
    #expect(h.core.dialogCount == 0)
    #expect(h.ended.count == 1)
    let summary = try #require(h.ended.first)
    #expect(summary.outcome == .answered)
    #expect(summary.finalStatus == 200)
    #expect(summary.durationSeconds == 65)
    #expect(summary.endedBy == "caller")
    #expect(summary.fromUser == "sipp")
    #expect(summary.toUser == "service")
    #expect(summary.attempts == 1)
  }

  @Test func byeFromTheCalleeGoesToTheCaller() {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(
      H.inDialog(
        "BYE", branch: "z9hG4bK-uasbye", fromTag: "uastag", toTag: "uactag", via: "SIP/2.0/UDP 127.0.0.1:5080"
      ),
      from: H.uas)
    let bye = h.sender.take()
    #expect(bye.count == 1)
    #expect(bye[0].destination == H.uac)
    h.deliver(H.response(to: bye[0].message, status: 200, reason: "OK", toTag: nil, recordRoute: false))
    #expect(h.sender.take().first?.destination == H.uas)
    #expect(h.ended.first?.endedBy == "callee")
  }

  @Test func inDialogRequestFollowsRouteHeader() {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(
      H.inDialog(
        "BYE", branch: "z9hG4bK-bye2", fromTag: "uactag", toTag: "uastag",
        route: "<sip:127.0.0.1:5070;lr>, <sip:127.0.0.1:5999;lr>"))
    let bye = h.sender.take()
    #expect(bye.first?.destination == Endpoint(transport: .udp, host: "127.0.0.1", port: 5999))
    #expect(bye.first?.message.routeCount == 1)
  }

  @Test func busyIsAcknowledgedDownstreamAndRelayedUpstream() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 486, reason: "Busy Here"), from: H.uas)
    let sent = h.sender.take()
    #expect(sent.count == 2)
    let ack = try #require(sent.first { $0.destination == H.uas })
    #expect(ack.message.method == .ack)
    #expect(ack.message.topVia?.branch == invite.topVia?.branch)
    #expect(ack.message.toTag == "uastag")
    let busy = try #require(sent.first { $0.destination == H.uac })
    #expect(busy.message.statusCode == 486)
    #expect(h.ended.first?.outcome == .failed)
    #expect(h.ended.first?.finalStatus == 486)
    // The UAC's ACK for the 486 is absorbed by the server transaction (hop by hop).
    h.deliver(H.inDialog("ACK", branch: "z9hG4bK-uac-1", fromTag: "uactag", toTag: "uastag", cseq: 1))
    #expect(h.sender.take().isEmpty)
    // A retransmitted 486 is acknowledged again but not relayed again.
    h.deliver(H.response(to: invite, status: 486, reason: "Busy Here"), from: H.uas)
    #expect(h.sender.take().map(\.destination) == [H.uas])
  }

  @Test func cancelBeforeAnswer() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    _ = h.sender.take()
    let cancel = H.invite().replacingOccurrences(of: "INVITE", with: "CANCEL")
    h.deliver(cancel)
    let sent = h.sender.take()
    let cancelOK = try #require(sent.first { $0.destination == H.uac })
    #expect(cancelOK.message.statusCode == 200)
    #expect(cancelOK.message.cseq?.method == "CANCEL")
    let downstream = try #require(sent.first { $0.destination == H.uas })
    #expect(downstream.message.method == .cancel)
    #expect(downstream.message.topVia?.branch == invite.topVia?.branch)
    h.deliver(H.response(to: invite, status: 487, reason: "Request Terminated"), from: H.uas)
    let after = h.sender.take()
    #expect(after.first { $0.destination == H.uas }?.message.method == .ack)
    #expect(after.first { $0.destination == H.uac }?.message.statusCode == 487)
    #expect(h.ended.first?.outcome == .cancelled)
  }

  @Test func cancelForUnknownTransactionGets481() {
    let h = FlowHarness()
    h.deliver(H.invite(branch: "z9hG4bK-nothing").replacingOccurrences(of: "INVITE", with: "CANCEL"))
    #expect(h.sender.take().first?.message.statusCode == 481)
  }

  @Test func silentNextHopGets408AfterTimerC() {
    let h = FlowHarness(inviteTimeoutMs: 3_000)
    _ = forwardInvite(h)
    // Timer A retransmits the INVITE at 500 ms, 1 s, 2 s (RFC 3261 §17.1.1.2).
    var retransmissions = 0
    for _ in 0..<29 {
      h.advance(100)
      retransmissions += h.sender.take().filter { $0.destination == H.uas }.count
    }
    #expect(retransmissions == 2)
    h.advance(100)
    let timeout = h.sender.take()
    #expect(timeout.first { $0.destination == H.uac }?.message.statusCode == 408)
    #expect(h.ended.first?.finalStatus == 408)
    // No more INVITE retransmissions after the branch gave up.
    h.advance(10_000)
    #expect(h.sender.take().filter { $0.destination == H.uas && $0.message.method == .invite }.isEmpty)
  }

  @Test func failoverToTheSecondTargetOn503() {
    let h = FlowHarness(targets: [H.uas, H.uas2])
    let first = forwardInvite(h)
    h.deliver(H.response(to: first, status: 503, reason: "Service Unavailable"), from: H.uas)
    let sent = h.sender.take()
    #expect(sent.contains { $0.destination == H.uas && $0.message.method == .ack })
    let second = sent.first { $0.destination == H.uas2 }
    #expect(second?.message.method == .invite)
    #expect(second?.message.viaCount == 2)
    #expect(second?.message.topVia?.branch != first.topVia?.branch)
    #expect(!sent.contains { $0.destination == H.uac })
  }

  @Test func inviteRetransmissionIsAbsorbed() {
    let h = FlowHarness()
    _ = forwardInvite(h)
    h.deliver(H.invite())
    let sent = h.sender.take()
    #expect(sent.map { $0.message.statusCode } == [100])
    #expect(h.core.counters.retransmissionsAbsorbed == 1)
  }

  @Test func maxForwardsZeroGets483() {
    let h = FlowHarness()
    h.deliver(H.invite(maxForwards: 0), from: Endpoint(transport: .udp, host: "127.0.0.9", port: 5091))
    let refusal = h.sender.take().last
    #expect(refusal?.message.statusCode == 483)
    // RFC 3261 §18.2.1: the top Via tells where the request really came from.
    #expect(refusal?.message.topVia?.received == "127.0.0.9")
    #expect(refusal?.destination == Endpoint(transport: .udp, host: "127.0.0.9", port: 5090))
  }

  @Test func optionsToTheSwitchIsAnswered() {
    let h = FlowHarness()
    h.deliver(H.invite(body: false).replacingOccurrences(of: "INVITE", with: "OPTIONS"))
    let sent = h.sender.take()
    #expect(sent.count == 1)
    #expect(sent[0].message.statusCode == 200)
    #expect(sent[0].message.toTag != nil)
  }

  @Test func unknownMethodGets501() {
    let h = FlowHarness()
    // Addressed to the switch itself (no user part): a method for a user is forwarded (ConformanceFlowTests).
    h.deliver(
      H.invite(body: false).replacingOccurrences(of: "INVITE sip:service@", with: "INVITE sip:")
        .replacingOccurrences(of: "INVITE", with: "FROBNICATE"))
    #expect(h.sender.take().first?.message.statusCode == 501)
  }

  @Test func loopIsDetected() {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    // The next hop sends the same request straight back to us.
    let looped = String(decoding: invite.serialized(), as: UTF8.self).replacingOccurrences(
      of: "\r\n", with: "\n")
    h.deliver(looped, from: H.uas)
    #expect(h.sender.take().last?.message.statusCode == 482)
  }

  @Test func drainingRefusesNewCallsWith503() {
    let h = FlowHarness()
    h.core.beginDraining()
    h.deliver(H.invite())
    let refusal = h.sender.take().last?.message
    #expect(refusal?.statusCode == 503)
    #expect(refusal?.headerValues("retry-after") == ["30"])
  }

  @Test func strayResponseIsDropped() {
    let h = FlowHarness()
    let text = FlowHarness.inDialog("BYE", branch: "z9hG4bK-x", fromTag: "a", toTag: "b")
    let response = text.replacingOccurrences(
      of: "BYE sip:service@127.0.0.1:5080 SIP/2.0", with: "SIP/2.0 200 OK")
    h.deliver(response, from: H.uas)
    #expect(h.sender.take().isEmpty)
    #expect(h.core.counters.strayResponses == 1)
  }

  @Test func transactionsAreCleanedUp() {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 486, reason: "Busy Here"), from: H.uas)
    h.deliver(H.inDialog("ACK", branch: "z9hG4bK-uac-1", fromTag: "uactag", toTag: "uastag", cseq: 1))
    h.advance(40_000)
    #expect(h.core.transactionCount == 0)
  }
}

@Suite struct BestResponseTests {
  typealias H = FlowHarness

  func run(_ statuses: [Int]) -> Int? {
    let targets = [H.uas, H.uas2, Endpoint(transport: .udp, host: "127.0.0.1", port: 5082)]
    let h = FlowHarness(targets: Array(targets.prefix(statuses.count)))
    h.deliver(H.invite())
    var upstream: Int?
    for (index, status) in statuses.enumerated() {
      let sent = h.sender.take()
      guard
        let forwarded = sent.first(where: { $0.destination == targets[index] && $0.message.method == .invite }
        )
      else { return nil }
      h.deliver(H.response(to: forwarded.message, status: status, reason: "X"), from: targets[index])
      upstream = h.sender.sent.first { $0.destination == H.uac }?.message.statusCode ?? upstream
    }
    return upstream
  }

  @Test func lowestClassWins() { #expect(run([503, 404]) == 404) }
  @Test func aLone503BecomesA500() { #expect(run([503]) == 500) }
  @Test func fourOhEightThenFiveHundred() { #expect(run([408, 500]) == 408) }
  @Test func noFailoverOn486() {
    let h = FlowHarness(targets: [H.uas, H.uas2])
    h.deliver(H.invite())
    let forwarded = h.sender.take().last!.message
    h.deliver(H.response(to: forwarded, status: 486, reason: "Busy Here"), from: H.uas)
    let sent = h.sender.take()
    #expect(!sent.contains { $0.destination == H.uas2 })
    #expect(sent.first { $0.destination == H.uac }?.message.statusCode == 486)
  }

  @Test func planFailoverStatusMovesToTheNextTarget() {
    let call = RoutedCall(
      targets: [RouteTarget(destination: H.uas), RouteTarget(destination: H.uas2)],
      extraFailoverStatuses: [404])
    let h = FlowHarness(call: call)
    h.deliver(H.invite())
    let forwarded = h.sender.take().last!.message
    h.deliver(H.response(to: forwarded, status: 404, reason: "Not Found"), from: H.uas)
    let sent = h.sender.take()
    #expect(sent.first { $0.destination == H.uas2 }?.message.method == .invite)
    #expect(!sent.contains { $0.destination == H.uac })
  }
}

@Suite struct CallRecordFactsTests {
  typealias H = FlowHarness

  @Test func summaryCarriesRoutedNumbersLegsAndARecordID() throws {
    let egress = CarrierLeg(carrierID: "sup", interconnectID: "i2", serviceID: "s2")
    let call = RoutedCall(
      targets: [RouteTarget(destination: H.uas, requestURIUser: "99123", egress: egress)],
      ingress: CarrierLeg(carrierID: "cust", interconnectID: "i1", serviceID: "s1"), callerNumber: "15550001",
      calledNumber: "123")
    let h = FlowHarness(call: call)
    h.deliver(H.invite())
    let forwarded = try #require(h.sender.take().last?.message)
    #expect(forwarded.requestURI?.user == "99123")
    h.deliver(H.response(to: forwarded, status: 486, reason: "Busy Here"), from: H.uas)
    let summary = try #require(h.ended.first)
    #expect(summary.ingress?.interconnectID == "i1")
    #expect(summary.egress == egress)
    #expect(summary.fromUser == "15550001")
    #expect(summary.toUser == "123")
    #expect(summary.originalFromUser == "sipp")
    #expect(summary.originalToUser == "service")
    let id = Array(summary.recordID.utf8)
    #expect(id.count == 36)
    #expect(id[14] == UInt8(ascii: "4"))
    #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(id[19]))
  }

  @Test func recordIDsDiffer() {
    var generator = RecordIDGenerator()
    let ids = Set((0..<1000).map { _ in generator.next() })
    #expect(ids.count == 1000)
  }

  @Test func byeAnswerWaitsUntilTheRecordIsDurable() throws {
    let h = FlowHarness(holdByeAnswers: true)
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = try #require(h.sender.take().first?.message)
    h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    #expect(h.ended.count == 1)
    #expect(h.sender.take().isEmpty)
    #expect(h.pendingReleases.count == 1)
    h.pendingReleases.removeFirst()()
    let answered = h.sender.take()
    #expect(answered.map { $0.message.statusCode } == [200])
    #expect(answered.first?.destination == H.uac)
  }

  @Test func byeTimeoutStillEndsTheCall() throws {
    let h = FlowHarness()
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    for _ in 0..<70 { h.advance(1_000) }
    #expect(h.ended.count == 1)
    #expect(h.core.dialogCount == 0)
    #expect(h.sender.sent.contains { $0.destination == H.uac && $0.message.statusCode == 408 })
  }
}

@Suite struct ShutdownTests {
  typealias H = FlowHarness

  @Test func callsStillUpAtTheDeadlineAreRecordedAsEnded() throws {
    let h = FlowHarness()
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    h.clock.advance(5_000)
    h.core.endAllDialogs()
    #expect(h.core.dialogCount == 0)
    let summary = try #require(h.ended.first)
    #expect(summary.endedBy == "shutdown")
    #expect(summary.durationSeconds == 5)
    #expect(summary.callRecord.status == .completed)
  }
}

@Suite struct FailoverTimeoutTests {
  typealias H = FlowHarness

  @Test func aSilentTargetFailsOverAfterTheFailoverTimeout() throws {
    let h = FlowHarness(targets: [H.uas, H.uas2], failoverTimeoutMs: 3_000)
    h.deliver(H.invite())
    _ = h.sender.take()
    h.advance(2_900)
    #expect(!h.sender.take().contains { $0.destination == H.uas2 })
    h.advance(200)
    let sent = h.sender.take()
    #expect(sent.first { $0.destination == H.uas2 }?.message.method == .invite)
    #expect(!sent.contains { $0.destination == H.uac && $0.message.statusCode >= 200 })
  }

  @Test func aTargetThatRingsIsNotGivenUp() throws {
    let h = FlowHarness(targets: [H.uas, H.uas2], failoverTimeoutMs: 3_000)
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(H.response(to: invite, status: 100, reason: "Trying", toTag: nil), from: H.uas)
    h.advance(5_000)
    #expect(!h.sender.take().contains { $0.destination == H.uas2 })
  }
}
