import Policy
import SIPCore
import Testing

@testable import Proxy

/// The proxy core as the admin API sees it (docs/admin.md): calls in
/// progress, hangup with the switch's own BYE (`ended_by` admin), call
/// events in order, drained trunks.
@Suite struct AdminFlowTests {
  typealias H = FlowHarness

  @Test func aCallIsListedShownAndHungUpWithByeToBothSides() throws {
    let h = FlowHarness(call: PolicyFlowTests.call(CallPolicy(maxDurationMs: 3_600_000)))
    var events: [CallEvent] = []
    h.core.callEvents = { events.append($0) }
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    let ringing = h.core.activeCalls(ActiveCallFilter(), offset: 0, limit: 10)
    #expect(ringing.total == 1)
    #expect(ringing.calls.first?.state == .initiating)
    let id = try #require(ringing.calls.first?.id)
    h.deliver(PolicyFlowTests.response(to: invite, 180, "Ringing"), from: H.uas)
    #expect(h.core.activeCall(id: id)?.state == .ringing)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    let answered = try #require(h.core.activeCall(id: id))
    #expect(answered.state == .answered)
    #expect(answered.maxDurationMs == 3_600_000)
    #expect(answered.egress?.interconnectID == "i2")
    // Filters: the supplier's interconnect matches, another carrier does not.
    #expect(h.core.activeCalls(ActiveCallFilter(interconnect: "i1"), offset: 0, limit: 10).total == 1)
    #expect(h.core.activeCalls(ActiveCallFilter(carrier: "nobody"), offset: 0, limit: 10).total == 0)
    #expect(h.core.activeCalls(ActiveCallFilter(), offset: 1, limit: 10).calls.isEmpty)

    #expect(h.core.hangup(id: id) == .ended)
    let byes = h.sender.take()
    #expect(Set(byes.map(\.destination)) == [H.uas, H.uac])
    #expect(byes.allSatisfy { $0.message.method == .bye })
    #expect(h.ended.map(\.endedBy) == ["admin"])
    #expect(h.core.counters.callsEndedByAdmin == 1)
    #expect(h.core.activeCall(id: id) == nil)
    #expect(h.core.hangup(id: id) == .notFound)
    #expect(events.map(\.state) == [.initiating, .ringing, .answered, .ended])
    #expect(Set(events.map(\.id)) == [id])
    #expect(events.last?.endedBy == "admin")
    #expect(events.last?.status == 200)
  }

  @Test func aRingingCallIsCancelledAndTheCallerGets487() throws {
    let h = FlowHarness()
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(PolicyFlowTests.response(to: invite, 180, "Ringing"), from: H.uas)
    _ = h.sender.take()
    let id = try #require(h.core.activeCalls(ActiveCallFilter(), offset: 0, limit: 1).calls.first?.id)
    #expect(h.core.hangup(id: id) == .cancelled)
    #expect(h.core.hangup(id: id) == .notAnswered)
    let cancel = try #require(h.sender.take().first)
    #expect(cancel.message.method == .cancel && cancel.destination == H.uas)
    h.deliver(
      H.response(to: cancel.message, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    h.deliver(H.response(to: invite, status: 487, reason: "Request Terminated"), from: H.uas)
    #expect(h.sender.take().contains { $0.message.statusCode == 487 && $0.destination == H.uac })
    #expect(h.ended.map(\.outcome) == [.cancelled])
    #expect(h.ended.map(\.endedBy) == ["admin"])
    #expect(h.core.activeCall(id: id) == nil)
  }

  @Test func aCallTheSwitchKeepsNoDialogStateForCannotBeHungUp() throws {
    let h = FlowHarness()
    h.deliver(H.invite())
    let invite = try #require(h.sender.take().last?.message)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    let id = try #require(h.core.activeCalls(ActiveCallFilter(), offset: 0, limit: 1).calls.first?.id)
    #expect(h.core.hangup(id: id) == .cannotEnd)
    #expect(h.sender.take().isEmpty)
    #expect(h.core.activeCall(id: id)?.state == .answered)
    #expect(h.ended.isEmpty)
  }

  @Test func pagesAreClampedToTheMaximum() {
    let h = FlowHarness()
    let page = h.core.activeCalls(ActiveCallFilter(), offset: -5, limit: 1_000_000)
    #expect(page.limit == ProxyCore.maxCallPage)
    #expect(page.offset == 0)
  }

  @Test func drainedTrunksAreKeptByIdAndAllowOthers() {
    let drained = DrainedTrunks()
    #expect(drained.allows(interconnectID: "i1", serviceID: "s1"))
    #expect(drained.drain("i1"))
    #expect(!drained.drain("i1"))
    #expect(!drained.allows(interconnectID: "i1", serviceID: "s1"))
    #expect(drained.allows(interconnectID: "i2", serviceID: "s2"))
    drained.drain("s2")
    #expect(!drained.allows(interconnectID: "i2", serviceID: "s2"))
    #expect(drained.enable("i1"))
    #expect(!drained.enable("i1"))
    #expect(drained.ids == ["s2"])
  }
}
