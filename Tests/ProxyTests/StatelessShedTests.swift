import Foundation
import Logging
import SIPCore
import Testing

@testable import Proxy

/// The stateless 503 (docs/overload.md, "Stateless 503"): while the loop's
/// load limits new calls, a shed INVITE from a known source is answered from
/// its bytes with no transaction, and the ACK of that 503 is absorbed.
@Suite struct StatelessShedTests {
  typealias H = FlowHarness
  typealias Setup = OverloadFlowTests.Setup

  static func bytes(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
  }

  /// Delivers a queued new call as the daemon's core does after its wait.
  static func newCall(_ s: Setup, _ text: String, from source: Endpoint = H.uac, waitedUs: Int64 = 0) {
    let receiver = InboundReceiver(proxy: s.core, decoder: InboundDecoder())
    s.core.overload.inviteWaitUs = waitedUs
    bytes(text).withUnsafeBytes { receiver.receiveNewCall($0, from: source, local: H.proxyUDP) }
    s.core.overload.inviteWaitUs = 0
  }

  static func other(_ s: Setup, _ text: String, from source: Endpoint = H.uac) {
    let receiver = InboundReceiver(proxy: s.core, decoder: InboundDecoder())
    bytes(text).withUnsafeBytes { receiver.receive($0, from: source, local: H.proxyUDP) }
  }

  /// The UAC's ACK of `refusal` (RFC 3261 §17.1.1.3: the INVITE's branch, the response's To).
  static func ack(of refusal: SIPMessage, branch: String = "z9hG4bK-uac-1", callID: String = "call-1")
    -> String
  {
    let to =
      String(decoding: refusal.serialized(), as: UTF8.self).components(separatedBy: "\r\n")
      .first { $0.lowercased().hasPrefix("to:") }?.dropFirst(3).trimmingCharacters(in: .whitespaces) ?? ""
    return [
      "ACK sip:service@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=\(branch)",
      "From: sipp <sip:sipp@127.0.0.1:5090>;tag=uactag", "To: \(to)",
      "Call-ID: \(callID)", "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0", "", "",
    ].joined(separator: "\n")
  }

  static func overloaded(_ settings: OverloadSettings = OverloadSettings(maxQueueDelayMs: 20)) -> Setup {
    let s = Setup(settings, router: OverloadFlowTests.CountingRouter(known: ["127.0.0.1"]))
    // One overloaded sample with a backlog starts an episode; its bucket starts empty.
    s.core.overload.observeLoop(lagMs: 0, queueDelayMs: 100, queuedNewCalls: 64)
    return s
  }

  @Test func aShedInviteGetsA503WithNoTransactionAndItsAckIsAbsorbed() throws {
    let s = Self.overloaded(OverloadSettings(maxQueueDelayMs: 20, retryAfterSeconds: 9))
    #expect(s.core.overload.isOverloaded)
    Self.newCall(s, H.invite())
    let sent = s.sender.take()
    #expect(sent.map { $0.message.statusCode } == [503])
    #expect(sent.first?.destination == H.uac)
    let refusal = try #require(sent.first?.message)
    #expect(refusal.headerValues("retry-after") == ["9"])
    #expect(refusal.callID == "call-1")
    #expect(refusal.toTag?.hasPrefix(StatelessReplyTag.prefix) == true)
    // No transaction, no routing work; counted as a shed of the loop's cause.
    #expect(s.core.transactionCount == 0)
    #expect(s.router.asked == 0)
    #expect(s.core.overload.counters.shed == [.queueDelay: 1])
    #expect(s.core.overload.counters.statelessReplies == 1)
    // Its ACK goes nowhere.
    Self.other(s, Self.ack(of: refusal))
    #expect(s.sender.take().isEmpty)
    #expect(s.core.overload.counters.statelessAcksAbsorbed == 1)
    #expect(s.core.transactionCount == 0)
  }

  @Test func theSameInviteGetsTheSameTagSoItsRetransmissionIsAnsweredAlike() throws {
    let s = Self.overloaded()
    Self.newCall(s, H.invite())
    Self.newCall(s, H.invite())
    let tags = s.sender.take().map { $0.message.toTag }
    #expect(tags.count == 2)
    #expect(tags[0] != nil && tags[0] == tags[1])
  }

  @Test func anInviteThatWaitedTooLongIsShedStatelessEvenWithATokenLeft() throws {
    let s = Self.overloaded(OverloadSettings(maxQueueDelayMs: 20, maxInviteWaitMs: 30))
    // The episode's bucket starts empty, and fills from the first INVITE it sees.
    Self.newCall(s, H.invite(callID: "call-0", branch: "z9hG4bK-uac-0"))
    s.advance(1_000)
    Self.newCall(s, H.invite(), waitedUs: 31_000)
    #expect(s.sender.take().map { $0.message.statusCode } == [503, 503])
    #expect(s.core.overload.counters.shed == [.queueDelay: 1, .inviteWait: 1])
    #expect(s.core.overload.counters.statelessReplies == 2)
    // The next one, fresh, takes a token and is routed (full path: 100 Trying, then forwarded).
    Self.newCall(s, H.invite(callID: "call-2", branch: "z9hG4bK-uac-2"))
    #expect(s.sender.take().map { $0.message.statusCode ?? 0 } == [100, 0])
    #expect(s.router.asked == 1)
  }

  @Test func aRetransmissionOfAnAdmittedInviteIsItsTransactionsNotA503() throws {
    let s = Setup(
      OverloadSettings(maxQueueDelayMs: 20), router: OverloadFlowTests.CountingRouter(known: ["127.0.0.1"]))
    Self.newCall(s, H.invite())
    #expect(s.sender.take().map { $0.message.statusCode ?? 0 } == [100, 0])
    s.core.overload.observeLoop(lagMs: 0, queueDelayMs: 100, queuedNewCalls: 64)
    #expect(s.core.overload.isOverloaded)
    Self.newCall(s, H.invite())
    // The server transaction answers again with its 100 Trying; nothing is shed.
    #expect(s.sender.take().map { $0.message.statusCode } == [100])
    #expect(s.core.overload.counters.shedTotal == 0)
    #expect(s.core.counters.retransmissionsAbsorbed == 1)
  }

  @Test func anUnknownSourceKeepsItsOwnAnswerAndNoLoadMeansNoStatelessPath() throws {
    let s = Self.overloaded(OverloadSettings(maxQueueDelayMs: 20, unknownSourceRequestsPerSecond: 5))
    let stranger = Endpoint(transport: .udp, host: "192.0.2.9", port: 5090)
    Self.newCall(s, H.invite(), from: stranger)
    #expect(s.sender.take().map { $0.message.statusCode } == [403])
    #expect(s.core.overload.counters.statelessReplies == 0)
    // Without an episode the INVITE goes the usual way.
    let calm = Setup(
      OverloadSettings(maxQueueDelayMs: 20), router: OverloadFlowTests.CountingRouter(known: ["127.0.0.1"]))
    Self.newCall(calm, H.invite())
    #expect(calm.sender.take().map { $0.message.statusCode ?? 0 } == [100, 0])
    #expect(calm.core.overload.counters.statelessReplies == 0)
  }

  @Test func anAckWithAForeignOrWrongTagIsNotAbsorbed() throws {
    let s = Self.overloaded()
    Self.newCall(s, H.invite())
    let refusal = try #require(s.sender.take().first?.message)
    // The right tag, but another branch: not the ACK of that 503.
    Self.other(s, Self.ack(of: refusal, branch: "z9hG4bK-other"))
    #expect(s.core.overload.counters.statelessAcksAbsorbed == 0)
    _ = s.sender.take()
  }

  @Test func acksAreNoLongerLookedForOnceNoneCanCome() throws {
    let s = Self.overloaded()
    Self.newCall(s, H.invite())
    let refusal = try #require(s.sender.take().first?.message)
    #expect(s.core.overload.acksOfStatelessRepliesExpected)
    s.advance(OverloadGuard.statelessAckWindowMs + 10)
    #expect(!s.core.overload.acksOfStatelessRepliesExpected)
    Self.other(s, Self.ack(of: refusal))
    #expect(s.core.overload.counters.statelessAcksAbsorbed == 0)
  }

  /// A re-INVITE that reached the new-call queue (a To tag the sniff
  /// missed) is never shed: the full path sees its tag.
  @Test func anInviteWithATagInItsToIsNeverAnsweredStatelessly() throws {
    let s = Self.overloaded()
    Self.newCall(
      s,
      H.invite().replacingOccurrences(
        of: "To: <sip:service@127.0.0.1:5070>", with: "To: <sip:service@127.0.0.1:5070> ; TAG = uastag"))
    #expect(s.core.overload.counters.statelessReplies == 0)
    #expect(s.core.overload.counters.shedTotal == 0)
    #expect(!s.sender.take().contains { $0.message.statusCode == 503 })
  }

  @Test func anInviteOverTheSizeForAStatelessAnswerTakesTheFullPath() throws {
    let s = Self.overloaded()
    let padding = String(repeating: "x", count: ProxyCore.statelessMaxBytes)
    Self.newCall(
      s, H.invite().replacingOccurrences(of: "Call-ID: call-1", with: "Subject: \(padding)\nCall-ID: call-1"))
    #expect(s.sender.take().map { $0.message.statusCode } == [503])
    #expect(s.core.overload.counters.statelessReplies == 0)
    #expect(s.core.transactionCount == 1)
  }

  @Test func anInviteWhoseViaTheRawReaderDeclinesTakesTheFullPath() throws {
    let s = Self.overloaded()
    let spaced = H.invite().replacingOccurrences(
      of: "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-uac-1",
      with: "Via: SIP / 2.0 / UDP 127.0.0.1:5090 ; branch=z9hG4bK-uac-1")
    Self.newCall(s, spaced)
    #expect(s.sender.take().map { $0.message.statusCode } == [503])
    #expect(s.core.overload.counters.statelessReplies == 0)
    #expect(s.core.overload.counters.shedTotal == 1)
    #expect(s.core.transactionCount == 1)
  }
}
