import SIPCore
import SIPTransaction
import Testing

/// The transaction layer on its own (RFC 3261 §17): matching, absorption,
/// retransmissions on its timers, timeouts, transport failures, termination
/// and the backstop deadlines, on a virtual clock with no proxy.
@Suite struct TransactionLayerServerTests {
  typealias H = LayerHarness

  @Test func aNewRequestGoesUpOnceAndItsRetransmissionsAreAbsorbed() {
    let h = LayerHarness()
    h.deliver(H.request("INVITE"))
    h.deliver(H.request("INVITE"))
    #expect(h.user.log == ["request INVITE"])
    #expect(h.layer.counters.retransmissionsAbsorbed == 1)
    #expect(h.layer.servers.count == 1)
    // Nothing to resend before the TU said anything (§17.2.1).
    #expect(h.sender.take().isEmpty)
    h.layer.respond(h.user.servers[0], bytes: H.responseBytes(180, "Ringing", method: "INVITE"), status: 180)
    #expect(h.sender.take() == ["SIP/2.0 180 Ringing"])
    h.deliver(H.request("INVITE"))
    #expect(h.sender.take() == ["SIP/2.0 180 Ringing"])
    #expect(h.layer.counters.retransmissionsAbsorbed == 2)
  }

  @Test func aRequestWithAnotherBranchIsANewTransaction() {
    let h = LayerHarness()
    h.deliver(H.request("OPTIONS", branch: "z9hG4bK-a"))
    h.deliver(H.request("OPTIONS", branch: "z9hG4bK-b"))
    #expect(h.user.log == ["request OPTIONS", "request OPTIONS"])
    #expect(h.layer.servers.count == 2)
  }

  @Test func aNonInviteFinalIsResentOnRetransmissionsUntilTimerJ() {
    let h = LayerHarness()
    h.deliver(H.request("OPTIONS"))
    let server = h.user.servers[0]
    h.layer.respond(server, bytes: H.responseBytes(200, "OK", method: "OPTIONS"), status: 200)
    #expect(server.requestBytes.isEmpty)
    h.deliver(H.request("OPTIONS"))
    #expect(h.sender.take() == ["SIP/2.0 200 OK", "SIP/2.0 200 OK"])
    #expect(h.sender.sent.isEmpty)
    h.advance(64 * 500 - 1)
    #expect(h.layer.servers.count == 1)
    h.advance(1)
    #expect(h.layer.servers.isEmpty)
    #expect(server.isTerminated)
    #expect(h.user.log == ["request OPTIONS", "server terminated"])
    #expect(h.layer.counters.expired == 0)
  }

  @Test func anInviteFailureIsRetransmittedOnTimerGUntilTheACK() {
    let h = LayerHarness()
    h.deliver(H.request("INVITE"))
    h.layer.respond(
      h.user.servers[0], bytes: H.responseBytes(486, "Busy Here", method: "INVITE"), status: 486)
    #expect(h.sender.take() == ["SIP/2.0 486 Busy Here"])
    h.advance(500)  // G = T1
    h.advance(1_000)  // 2*T1
    #expect(h.sender.take() == ["SIP/2.0 486 Busy Here", "SIP/2.0 486 Busy Here"])
    // The ACK for a non-2xx final ends in its INVITE transaction, not the user.
    h.deliver(H.request("ACK", cseqMethod: "ACK"))
    #expect(h.user.log == ["request INVITE"])
    h.advance(10_000)
    #expect(h.sender.take().isEmpty)
    // Timer I (T4) has ended it.
    #expect(h.layer.servers.isEmpty)
    #expect(h.layer.counters.timeouts == 0)
  }

  @Test func anInviteFailureNeverAcknowledgedTimesOutOnTimerH() {
    let h = LayerHarness()
    h.deliver(H.request("INVITE"))
    h.layer.respond(
      h.user.servers[0], bytes: H.responseBytes(486, "Busy Here", method: "INVITE"), status: 486)
    h.advance(64 * 500)
    #expect(h.layer.counters.timeouts == 1)
    #expect(h.layer.servers.isEmpty)
    #expect(h.user.log == ["request INVITE", "server terminated"])
  }

  @Test func anACKForA2xxGoesToTheUser() {
    let h = LayerHarness()
    h.deliver(H.request("INVITE"))
    h.layer.respond(h.user.servers[0], bytes: H.responseBytes(200, "OK", method: "INVITE"), status: 200)
    h.deliver(H.request("ACK", cseqMethod: "ACK"))
    #expect(h.user.log == ["request INVITE", "request ACK"])
    // RFC 6026 Accepted: the INVITE's retransmissions are absorbed, the 2xx is not kept.
    _ = h.sender.take()
    h.deliver(H.request("INVITE"))
    #expect(h.sender.take().isEmpty)
    #expect(h.layer.counters.retransmissionsAbsorbed == 1)
  }

  @Test func aServerTransactionWithNoFinalResponseIsHandedToItsUserAtItsDeadline() {
    let h = LayerHarness()
    h.deliver(H.request("OPTIONS"))
    // Non-INVITE: 64*T1 + 2*T4.
    h.advance(64 * 500 + 2 * 5_000 - 1)
    #expect(!h.user.log.contains("server deadline"))
    h.advance(1)
    // The user answered nothing: the transaction ends, counted once.
    #expect(h.user.log == ["request OPTIONS", "server deadline", "server terminated"])
    #expect(h.layer.servers.isEmpty)
    #expect(h.layer.counters.expired == 1)
  }

  @Test func aServerTransactionAnsweredAtItsDeadlineEndsAtTheFinalBackstop() {
    let h = LayerHarness()
    h.user.answerAtDeadline = (408, "Request Timeout")
    h.deliver(H.request("INVITE", via: "SIP/2.0/TCP 127.0.0.1:5090"), from: H.tcpPeer)
    let server = h.user.servers[0]
    h.layer.respond(server, bytes: H.responseBytes(100, "Trying", method: "INVITE"), status: 100)
    // INVITE: C + 64*T1 + 2*T4, from the user's restart halfway.
    h.advance(100_000)
    h.layer.restartDeadline(server)
    h.advance(180_000 + 32_000 + 10_000 - 1)
    #expect(!h.user.log.contains("server deadline"))
    _ = h.sender.take()
    h.advance(1)
    #expect(h.user.log == ["request INVITE", "server deadline"])
    #expect(h.sender.take() == ["SIP/2.0 408 Request Timeout"])
    #expect(server.expired && server.deadlinePassed)
    // Over TCP no Timer G; Timer H (64*T1) would end it, but nothing ACKs
    // and the backstop (64*T1 + T4) ends it at the latest.
    h.advance(32_000)
    #expect(h.layer.servers.isEmpty)
    #expect(h.layer.counters.expired == 1)
    #expect(h.layer.counters.timeouts == 1)
  }

  @Test func terminateStopsEveryTimerAndEmptiesTheTable() {
    let h = LayerHarness()
    h.deliver(H.request("INVITE"))
    let server = h.user.servers[0]
    h.layer.respond(server, bytes: H.responseBytes(486, "Busy Here", method: "INVITE"), status: 486)
    _ = h.sender.take()
    h.layer.terminate(server)
    h.layer.terminate(server)
    #expect(h.layer.servers.isEmpty)
    #expect(h.user.log == ["request INVITE", "server terminated"])
    #expect(h.wheel.count == 0)
    h.advance(100_000)
    #expect(h.sender.take().isEmpty)
  }
}

@Suite struct TransactionLayerClientTests {
  typealias H = LayerHarness

  @Test func anInviteIsRetransmittedOnTimerAAndTimesOutOnTimerB() {
    let h = LayerHarness()
    h.startClient("INVITE")
    #expect(h.sender.take() == ["INVITE sip:b@127.0.0.1:5080 SIP/2.0"])
    h.advance(500)
    h.advance(1_000)
    h.advance(2_000)
    #expect(h.sender.take().count == 3)
    h.advance(32_000)
    #expect(h.user.log == ["timed out", "client terminated"])
    #expect(h.layer.counters.timeouts == 1)
    #expect(h.layer.clients.isEmpty)
  }

  @Test func responsesGoUpAndANon2xxFinalIsAcknowledgedOnEveryCopy() {
    let h = LayerHarness()
    let client = h.startClient("INVITE")
    _ = h.sender.take()
    h.deliver(H.response(180, "Ringing", method: "INVITE"), from: H.next)
    h.deliver(H.response(486, "Busy Here", method: "INVITE"), from: H.next)
    #expect(h.sender.take() == ["ACK sip:b@127.0.0.1:5080 SIP/2.0"])
    #expect(client.request.isEmpty)
    h.deliver(H.response(486, "Busy Here", method: "INVITE"), from: H.next)
    #expect(h.sender.take() == ["ACK sip:b@127.0.0.1:5080 SIP/2.0"])
    #expect(h.user.log == ["response 180", "response 486"])
    // Timer D (32 s over UDP) ends it; nothing is retransmitted meanwhile.
    h.advance(32_000)
    #expect(h.sender.take().isEmpty)
    #expect(h.layer.clients.isEmpty)
    #expect(h.layer.counters.timeouts == 0)
  }

  @Test func aResponseForNoTransactionIsAStray() {
    let h = LayerHarness()
    h.startClient("OPTIONS")
    h.deliver(H.response(200, "OK", branch: "z9hG4bK-other", method: "OPTIONS"), from: H.next)
    // Same branch, other method (a CANCEL's response never matches the INVITE).
    h.deliver(H.response(200, "OK", method: "CANCEL"), from: H.next)
    #expect(h.user.log == ["stray 200 z9hG4bK-other OPTIONS", "stray 200 z9hG4bK-out-1 CANCEL"])
    #expect(h.layer.clients.count == 1)
  }

  @Test func aTransportFailureReachesTheTransactionsToThatDestination() {
    let h = LayerHarness()
    h.startClient("OPTIONS")
    h.layer.transportFailed(to: H.peer)
    #expect(h.user.log.isEmpty)
    h.layer.transportFailed(to: H.next)
    #expect(h.user.log == ["transport failed", "client terminated"])
    #expect(h.layer.clients.isEmpty)
  }

  @Test func aRingingInviteWithNoFinalIsHandedToItsUserAtItsDeadline() {
    let h = LayerHarness(inviteTimeoutMs: 60_000)
    let client = h.startClient("INVITE")
    h.deliver(H.response(180, "Ringing", method: "INVITE"), from: H.next)
    // Timer B no longer applies; the backstop is C + 64*T1 + T4.
    h.advance(60_000 + 32_000 + 5_000 - 1)
    #expect(h.user.log == ["response 180"])
    h.advance(1)
    #expect(h.user.log == ["response 180", "client deadline", "client terminated"])
    #expect(client.expired)
    #expect(h.layer.counters.expired == 1)
    #expect(h.layer.clients.isEmpty)
  }

  @Test func timerFEndsAProceedingNonInviteBeforeItsBackstop() {
    let h = LayerHarness()
    h.startClient("OPTIONS")
    h.deliver(H.response(100, "Trying", method: "OPTIONS"), from: H.next)
    // F fires at 64*T1 = 32 s, before the 37 s backstop: the RFC timer wins.
    h.advance(32_000)
    #expect(h.user.log == ["response 100", "timed out", "client terminated"])
    #expect(h.layer.counters.expired == 0)
  }

  @Test func aNonInviteIsRetransmittedCappedAtT2() {
    let h = LayerHarness()
    h.startClient("OPTIONS")
    _ = h.sender.take()
    var times: [Int64] = []
    for _ in 0..<16_000 {
      h.advance(1)
      if !h.sender.take().isEmpty { times.append(h.nowMs) }
    }
    // E: 500, 1000, 2000, then T2 = 4000 apart (§17.1.2.2).
    #expect(times == [500, 1_500, 3_500, 7_500, 11_500, 15_500])
  }
}
