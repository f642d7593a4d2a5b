import Billing
import SIPCore
import Testing

@testable import Proxy

/// Monthly call limits of softphone users (seed 003, migration 0020,
/// docs/softphones.md "Monthly call limits"): a plan's `phone_calls_limit`
/// caps the answered calls a user places per calendar month (UTC); the next
/// is refused with 403 "Monthly Call Limit Reached".
@Suite struct MonthlyCallLimitFlowTests {
  typealias H = FlowHarness
  typealias A = CallerAuthenticationFlowTests
  /// 2026-09-30 23:00:00 UTC: an hour before October.
  static let lateSeptember: Int64 = 1_790_809_200_000

  /// A user's call, authenticated (nonce count `n`), to `number`: the
  /// INVITE the supplier got, or nil with the phone's final response.
  final class Phone {
    let h: FlowHarness
    let nonce: String
    var n = 1
    init(_ h: FlowHarness) throws {
      self.h = h
      nonce = try A.challenge(h)
    }

    func dial(_ number: String = "15551234") throws -> (forwarded: SIPMessage?, status: Int) {
      n += 1
      let target = "\(number)@127.0.0.1:5070"
      let nc = String(repeating: "0", count: 8 - String(n).count) + String(n)
      h.deliver(
        A.invite(
          to: target, callID: "mc-\(n)", branch: "z9hG4bK-mc-\(n)", cseq: 2,
          extra: [A.credentials(nonce: nonce, nc: nc, uri: "sip:\(target)")]),
        from: A.phone)
      let sent = h.sender.take()
      if let forwarded = sent.last(where: { $0.message.method == .invite }) { return (forwarded.message, 0) }
      return (nil, try #require(sent.last { $0.message.statusCode >= 200 }).message.statusCode)
    }

    /// The supplier answers `invite`; the phone hangs up when `hangUp`.
    func answer(_ invite: SIPMessage, hangUp: Bool = true) {
      h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
      guard hangUp, let callID = invite.callID else { return }
      h.deliver(
        H.inDialog(
          "BYE", callID: callID, branch: "z9hG4bK-bye-\(callID)", fromTag: "ph1", toTag: "uastag",
          via: "SIP/2.0/UDP 198.51.100.20:5090", cseq: 3),
        from: A.phone)
      if let bye = h.sender.take().last(where: { $0.message.method == .bye }) {
        h.deliver(H.response(to: bye.message, status: 200, reason: "OK", toTag: nil), from: H.uas)
      }
      _ = h.sender.take()
    }

    /// Places and completes an answered call; false when it was refused.
    func call(_ number: String = "15551234") throws -> Bool {
      guard let invite = try dial(number).forwarded else { return false }
      answer(invite)
      return true
    }
  }

  static func harness(limit: Int?, emergency: Set<String> = []) throws -> FlowHarness {
    let h = try A.harness(monthlyCallLimit: limit, emergencyNumbers: emergency)
    h.clock.unixMs = lateSeptember
    return h
  }

  @Test func theThirdCallInAMonthIsRefusedAndTheNextMonthIsAllowed() throws {
    let h = try Self.harness(limit: 2)
    let phone = try Phone(h)
    #expect(try phone.call())
    #expect(try phone.call())
    #expect(h.ended.filter { $0.outcome == .answered }.count == 2)
    let refused = try phone.dial()
    #expect(refused.forwarded == nil)
    #expect(refused.status == 403)
    #expect(h.core.monthlyCalls.count(userID: "1", unixMs: Self.lateSeptember) == 2)
    // October (UTC): a new month, a new count.
    h.clock.unixMs = Self.lateSeptember + 3_600_000
    #expect(try phone.call())
  }

  @Test func theRefusalNamesTheLimit() throws {
    let h = try Self.harness(limit: 0)
    let phone = try Phone(h)
    phone.n += 1
    let target = "15551234@127.0.0.1:5070"
    h.deliver(
      A.invite(
        to: target, callID: "mc-r", branch: "z9hG4bK-mc-r", cseq: 2,
        extra: [A.credentials(nonce: phone.nonce, nc: "00000002", uri: "sip:\(target)")]),
      from: A.phone)
    let answer = try A.answer(h)
    #expect(answer.text.hasPrefix("SIP/2.0 403 Monthly Call Limit Reached\r\n"))
  }

  @Test func unansweredCallsDoNotCount() throws {
    let h = try Self.harness(limit: 1)
    let phone = try Phone(h)
    let busy = try #require(try phone.dial().forwarded)
    h.deliver(H.response(to: busy, status: 486, reason: "Busy Here"), from: H.uas)
    _ = h.sender.take()
    #expect(try phone.call())
    #expect(try phone.dial().status == 403)
  }

  @Test func minusOneOrNoPlanIsUnlimited() throws {
    // The loader maps -1 (and no plan) to nil.
    let h = try Self.harness(limit: nil)
    let phone = try Phone(h)
    for _ in 0..<5 { #expect(try phone.call()) }
  }

  @Test func anEmergencyNumberIsNeverRefused() throws {
    let h = try Self.harness(limit: 1, emergency: ["1911"])
    let phone = try Phone(h)
    #expect(try phone.call())
    #expect(try phone.dial().status == 403)
    #expect(try phone.call("1911"))
    #expect(try phone.call("1911"))
  }

  /// Calls ringing or up hold their place: a second concurrent call past
  /// the limit is refused before the first is answered.
  @Test func concurrentCallsCannotOvershoot() throws {
    let h = try Self.harness(limit: 2)
    let phone = try Phone(h)
    let first = try #require(try phone.dial().forwarded)
    let second = try #require(try phone.dial().forwarded)
    #expect(try phone.dial().status == 403)
    phone.answer(first, hangUp: false)
    phone.answer(second)
    #expect(try phone.dial().status == 403)
  }

  /// Stored counts (another switch's calls, or before a restart) count; a
  /// call committed while a read was under way is not lost by that read.
  @Test func storedCountsAndCommittedCallsCount() throws {
    let h = try Self.harness(limit: 3)
    let month = CalendarMonth(unixMs: Self.lateSeptember)
    let key = MonthlyCallCounter.Key(userID: "1", month: month)
    let counter = h.core.monthlyCalls
    counter.load([key: 2], month: month, token: counter.beginSync())
    let phone = try Phone(h)
    #expect(try phone.call())
    #expect(try phone.dial().status == 403)
    let uuid = try #require(h.ended.last?.recordID)
    // A read begins, the record commits, the read (without it) lands.
    let token = counter.beginSync()
    counter.committed(uuids: [uuid])
    counter.load([key: 2], month: month, token: token)
    #expect(counter.count(userID: "1", unixMs: Self.lateSeptember) == 3)
    // The next read has it.
    counter.load([key: 3], month: month, token: counter.beginSync())
    #expect(counter.count(userID: "1", unixMs: Self.lateSeptember) == 3)
    #expect(try phone.dial().status == 403)
  }

  /// A user's call taken over from the last run (its checkpoint) holds its
  /// place: with a limit of 1 the user cannot place another meanwhile.
  @Test func aRestoredCallOfAUserHoldsItsPlace() throws {
    let (answered, _) = try RecoveryFlowTests().answeredCheckpoint()
    var checkpoint = answered
    checkpoint.summary.userID = "1"
    checkpoint.summary.startedUnixMs = Self.lateSeptember
    let h = try Self.harness(limit: 1)
    #expect(h.core.restore(checkpoint))
    #expect(h.core.monthlyCalls.count(userID: "1", unixMs: Self.lateSeptember) == 1)
    let phone = try Phone(h)
    #expect(try phone.dial().status == 403)
  }
}
