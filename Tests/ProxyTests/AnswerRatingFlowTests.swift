import Billing
import Policy
import Routing
import SIPCore
import Testing

@testable import Proxy

/// Issue 17, rule 5: a call is priced at its answer. The real call
/// pipeline over a snapshot whose plans have `peak` (08:00-18:00 UTC, every
/// day) and `offpeak` rates to 44, on a manual clock: routed at 07:59:59,
/// answered at 08:00:05.
@Suite struct AnswerRatingFlowTests {
  typealias H = FlowHarness

  /// 2026-12-07 07:59:59 UTC.
  static let routedUnixMs: Int64 = 1_796_630_399_000
  static let customerAccount = AccountRef(.customer, "c1")
  static let supplierAccount = AccountRef(.supplier, "c2")

  /// Customer: 0.06/min off-peak, 0.60/min peak; supplier: 0.03 and 0.30; per second.
  static func plan(_ id: String, offpeak: String, peak: String, peakClosesAtMs: Int64 = .max) throws
    -> RatingPlan
  {
    let windows = [
      TimeClassWindow(name: "offpeak", weekdays: Array(1...7), startMinute: 0, endMinute: 480)!,
      TimeClassWindow(name: "peak", weekdays: Array(1...7), startMinute: 480, endMinute: 1080)!,
      TimeClassWindow(name: "offpeak", weekdays: Array(1...7), startMinute: 1080, endMinute: 1440)!,
    ]
    var builder = try RatingPlan.Builder(id: id, name: id, currency: "USD", windows: windows)
    try builder.add(prefix: "44", rate: Rate(ratePerMinute: Money(offpeak)!, timeClass: "offpeak"))
    try builder.add(
      prefix: "44", rate: Rate(ratePerMinute: Money(peak)!, effectiveToMs: peakClosesAtMs, timeClass: "peak"))
    return try builder.build()
  }

  static func snapshot(peakClosesAtMs: Int64 = .max) throws -> Snapshot {
    let carriers = [
      Carrier(id: "c1", code: "CUST", name: "Customer", partnerType: .customer, status: .active),
      Carrier(id: "c2", code: "SUP", name: "Supplier", partnerType: .supplier, status: .active),
    ]
    let interconnects = [
      Interconnect(
        id: "i1", carrierID: "c1", name: "in", direction: .ingress,
        addresses: [
          try InterconnectAddress.parse(ipAddress: "127.0.0.1", isRange: false, rangeEnd: nil, port: nil)
        ]),
      Interconnect(
        id: "i2", carrierID: "c2", name: "out", direction: .egress, host: H.uas.host, sipPort: H.uas.port),
    ]
    let services = [
      CarrierService(
        id: "s1", carrierID: "c1", interconnectID: "i1", name: "in", direction: .ingress, ratingPlanID: "r1",
        routingPlanID: "p1"),
      CarrierService(
        id: "s2", carrierID: "c2", interconnectID: "i2", name: "out", direction: .egress, ratingPlanID: "r2"),
    ]
    let routing = RoutingPlan(
      id: "p1", code: "P", name: "plan", order: .priority,
      entries: [RoutingPlanEntry(prefix: "44", routes: [EgressRoute(carrierServiceID: "s2", priority: 1)])])
    return Snapshot(
      carriers: carriers, interconnects: interconnects, services: services, routingPlans: [routing],
      ratingPlans: [
        try plan("r1", offpeak: "0.06", peak: "0.60", peakClosesAtMs: peakClosesAtMs),
        try plan("r2", offpeak: "0.03", peak: "0.30", peakClosesAtMs: peakClosesAtMs),
      ], currencies: Currencies(rates: ["USD": 10_000_000_000])!)
  }

  /// A core on the pipeline, its clock at 07:59:59; with a ledger when `balance` is given.
  static func harness(snapshot: Snapshot, balance: String? = nil) -> (FlowHarness, CreditLedger?) {
    let h = FlowHarness(router: CallPipeline(snapshot: snapshot))
    h.clock.unixMs = routedUnixMs
    guard let balance else { return (h, nil) }
    let ledger = CreditLedger(configuration: CreditConfiguration(stepSeconds: 60, extendLeadMs: 5_000))
    ledger.load([
      CreditAccount(
        ref: customerAccount, column: .customer, currency: "USD",
        balance: AccountBalance(amount: Money(balance)!, version: 1), floor: .zero),
      CreditAccount(
        ref: supplierAccount, column: .supplier, currency: "USD",
        balance: AccountBalance(amount: Money("100.00")!, version: 1), floor: .zero),
    ])
    h.core.credit = ledger
    return (h, ledger)
  }

  /// The INVITE to 4420 at 07:59:59, its 200 at 08:00:05; the call's checkpoint.
  @discardableResult
  static func routeAndAnswer(_ h: FlowHarness) throws -> DialogCheckpoint {
    var taken: [DialogCheckpoint] = []
    h.journal.onAnswered = { checkpoint, release in
      taken.append(checkpoint)
      release()
    }
    h.deliver(H.invite().replacingOccurrences(of: "INVITE sip:service@", with: "INVITE sip:4420@"))
    let invite = try #require(h.sender.take().last { $0.message.method == .invite }?.message)
    #expect(invite.requestURI?.user == "4420")
    h.advance(6_000)
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    return try #require(taken.first)
  }

  /// The caller's BYE `talkMs` after the answer, and its 200.
  static func hangUp(_ h: FlowHarness, afterMs talkMs: Int64) throws -> CallSummary {
    h.advance(talkMs)
    h.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye-1", fromTag: "uactag", toTag: "uastag", cseq: 2))
    let bye = try #require(h.sender.take().last)
    h.deliver(
      H.response(to: bye.message, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    return try #require(h.ended.first)
  }

  @Test func aCallRoutedOffPeakAndAnsweredInPeakIsPricedPeakOnBothSides() throws {
    let (h, _) = Self.harness(snapshot: try Self.snapshot())
    try Self.routeAndAnswer(h)
    let summary = try Self.hangUp(h, afterMs: 10_000)
    let record = summary.callRecord
    #expect(record.customerCharge?.ratePerMinute == Money("0.60")!)
    #expect(record.customerCharge?.amount == Money("0.10")!)
    #expect(record.supplierCharge?.ratePerMinute == Money("0.30")!)
    #expect(record.supplierCharge?.amount == Money("0.05")!)
    #expect(record.margin == Money("0.05")!)
    #expect(summary.rating.customer?.timeClass == "peak")
    #expect(summary.rating.supplier?.timeClass == "peak")
  }

  @Test func aCallAnsweredInTheSameBandKeepsItsRoutedPrice() throws {
    let (h, _) = Self.harness(snapshot: try Self.snapshot())
    h.deliver(H.invite().replacingOccurrences(of: "INVITE sip:service@", with: "INVITE sip:4420@"))
    let invite = try #require(h.sender.take().last { $0.message.method == .invite }?.message)
    h.advance(500)  // 07:59:59.5: still off-peak
    h.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    _ = h.sender.take()
    let record = try Self.hangUp(h, afterMs: 10_000).callRecord
    #expect(record.customerCharge?.ratePerMinute == Money("0.06")!)
    #expect(record.customerCharge?.amount == Money("0.01")!)
  }

  @Test func whenTheRateAtTheAnswerIsGoneTheRoutedPriceIsKept() throws {
    // The peak rates end at 08:00:00: at 08:00:05 neither plan prices 44.
    let (h, _) = Self.harness(snapshot: try Self.snapshot(peakClosesAtMs: Self.routedUnixMs + 1_000))
    try Self.routeAndAnswer(h)
    let record = try Self.hangUp(h, afterMs: 10_000).callRecord
    #expect(record.customerCharge?.ratePerMinute == Money("0.06")!)
    #expect(record.supplierCharge?.ratePerMinute == Money("0.03")!)
  }

  @Test func liveCreditStepsAndTheCutOffFollowTheAnswerTimePrice() throws {
    // 0.30 pays 300 s off-peak but 30 s at peak: the first step is 30 s.
    let (h, ledger) = Self.harness(snapshot: try Self.snapshot(), balance: "0.30")
    let recordID = try Self.routeAndAnswer(h).recordID
    #expect(ledger?.paidSeconds(call: recordID) == 30)
    #expect(ledger?.parties(call: recordID).map(\.quote.ratePerMinute) == [Money("0.60")!, Money("0.30")!])
    h.advance(30_000)
    #expect(h.sender.take().filter { $0.message.method == .bye }.count == 2)
    let summary = try #require(h.ended.first)
    #expect(summary.endedBy == "credit")
    #expect(summary.charges.map(\.amount) == [Money("0.30")!, Money("0.15")!])
  }

  @Test func aCheckpointRoundTripKeepsTheAnswerTimePrice() throws {
    let (h, _) = Self.harness(snapshot: try Self.snapshot(), balance: "100.00")
    let written = try Self.routeAndAnswer(h)
    let checkpoint = try #require(DialogCheckpoint(text: written.text))
    #expect(checkpoint.summary.rating.customer?.ratePerMinute == Money("0.60")!)
    #expect(checkpoint.summary.rating.supplier?.ratePerMinute == Money("0.30")!)
    #expect(checkpoint.creditParties.map(\.quote.ratePerMinute) == [Money("0.60")!, Money("0.30")!])
    // A new process takes the call over 20 s after the answer; the caller hangs up 10 s later.
    let (restored, ledger) = Self.harness(snapshot: try Self.snapshot(), balance: "100.00")
    restored.clock.unixMs = Self.routedUnixMs + 6_000 + 20_000
    #expect(restored.core.restore(checkpoint))
    #expect(
      ledger?.parties(call: checkpoint.recordID).map(\.quote.ratePerMinute) == [
        Money("0.60")!, Money("0.30")!,
      ])
    let summary = try Self.hangUp(restored, afterMs: 10_000)
    #expect(summary.charges.map(\.amount) == [Money("0.30")!, Money("0.15")!])
    #expect(summary.callRecord.customerCharge?.amount == Money("0.30")!)
    #expect(summary.callRecord.supplierCharge?.amount == Money("0.15")!)
  }
}
