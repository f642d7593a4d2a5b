import Foundation
import Policy
import SIPCore
import Testing

@testable import Proxy

/// A call's two statuses (issue 16): what the caller got (`calls.sip_status`)
/// and what the last supplier tried sent (`calls.supplier_sip_status`), the
/// same way whether or not a release-cause mapping applied.
@Suite struct CallStatusFlowTests {
  typealias H = FlowHarness

  func forwardInvite(_ h: FlowHarness) -> SIPMessage {
    h.deliver(H.invite())
    return h.sender.take().last!.message
  }

  @Test func aMappedSupplierStatusKeepsBoth() throws {
    let mapping = try ReleaseCauseMapping(parsingJSON: "{\"503\": 486}")
    let h = FlowHarness(call: PolicyFlowTests.call(CallPolicy(releaseCauses: mapping)))
    h.deliver(H.response(to: forwardInvite(h), status: 503, reason: "Service Unavailable"), from: H.uas)
    #expect(h.sender.take().first { $0.destination == H.uac }?.message.statusCode == 486)
    let summary = try #require(h.ended.first)
    #expect(summary.finalStatus == 486)
    #expect(summary.supplierStatus == 503)
    let record = summary.callRecord
    #expect(record.sipStatus == 486)
    #expect(record.supplierSIPStatus == 503)
    #expect(record.status == .busy)
  }

  @Test func aLone503RelayedAs500KeepsBoth() throws {
    let h = FlowHarness(call: PolicyFlowTests.call(CallPolicy()))
    h.deliver(H.response(to: forwardInvite(h), status: 503, reason: "Service Unavailable"), from: H.uas)
    #expect(h.sender.take().first { $0.destination == H.uac }?.message.statusCode == 500)
    let record = try #require(h.ended.first).callRecord
    #expect(record.sipStatus == 500)
    #expect(record.supplierSIPStatus == 503)
    #expect(record.status == .failed)
  }

  @Test func theLastSupplierTriedGivesTheSupplierStatus() throws {
    let h = FlowHarness(targets: [H.uas, H.uas2])
    h.deliver(H.response(to: forwardInvite(h), status: 500, reason: "Server Internal Error"), from: H.uas)
    let second = try #require(h.sender.take().first { $0.destination == H.uas2 }?.message)
    h.deliver(H.response(to: second, status: 404, reason: "Not Found"), from: H.uas2)
    let record = try #require(h.ended.first).callRecord
    #expect(record.routesTried == 2)
    #expect(record.supplierSIPStatus == 404)
    // §16.7 step 6: the caller gets the best of the two (a 4xx before a 5xx).
    #expect(record.sipStatus == 404)
  }

  @Test func aSupplierThatNeverAnsweredCountsAs408() throws {
    let h = FlowHarness(inviteTimeoutMs: 4_000)
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    // Timer C: no final answer within the INVITE timeout.
    h.advance(5_000)
    let record = try #require(h.ended.first).callRecord
    #expect(record.supplierSIPStatus == 408)
    #expect(record.sipStatus == 408)
    #expect(record.status == .noAnswer)
  }

  /// Issue 18 item 8: the caller's CANCEL is `cancelled`, not `no_answer`,
  /// and the first 18x the caller got is the ringing time.
  @Test func aCallTheCallerCancelledIsCancelledAndRang() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.advance(40)
    h.deliver(H.response(to: invite, status: 100, reason: "Trying"), from: H.uas)
    h.advance(1_200)
    let rang = h.clock.unixMs
    h.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    h.advance(500)
    h.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    h.advance(3_000)
    h.deliver(H.invite().replacingOccurrences(of: "INVITE", with: "CANCEL"))
    h.deliver(H.response(to: invite, status: 487, reason: "Request Terminated"), from: H.uas)
    let record = try #require(h.ended.first).callRecord
    #expect(record.sipStatus == 487)
    #expect(record.status == .cancelled)
    #expect(record.ringingUnixMs == rang)
  }

  /// A 487 the caller did not ask for stays `no_answer`; a call that got only
  /// 100 Trying never rang.
  @Test func aSuppliers487IsNoAnswerAndTryingIsNotRinging() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 100, reason: "Trying"), from: H.uas)
    h.deliver(H.response(to: invite, status: 487, reason: "Request Terminated"), from: H.uas)
    let record = try #require(h.ended.first).callRecord
    #expect(record.status == .noAnswer)
    #expect(record.ringingUnixMs == nil)
  }

  /// An answered call keeps the time it started ringing (a 183 counts).
  @Test func anAnsweredCallKeepsItsRingingTime() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.advance(700)
    let rang = h.clock.unixMs
    h.deliver(H.response(to: invite, status: 183, reason: "Session Progress"), from: H.uas)
    h.advance(2_000)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = try #require(h.sender.take().first?.message)
    h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    let record = try #require(h.ended.first).callRecord
    #expect(record.status == .completed)
    #expect(record.ringingUnixMs == rang)
    #expect(record.answeredUnixMs == rang + 2_000)
  }

  @Test func anAnsweredCallHasThe2xxTwice() throws {
    let h = FlowHarness()
    let invite = forwardInvite(h)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = try #require(h.sender.take().first?.message)
    h.deliver(H.response(to: bye, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    let record = try #require(h.ended.first).callRecord
    #expect(record.sipStatus == 200)
    #expect(record.supplierSIPStatus == 200)
    #expect(record.status == .completed)
  }
}
