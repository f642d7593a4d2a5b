import Policy
import SIPCore
import Testing

@testable import Proxy

/// Quality metrics arithmetic over a scripted call set (docs/operations.md,
/// "Quality metrics"): ASR, ACD, NER, PDD, failures by class, per side.
@Suite struct QualityTableTests {
  static let start: Int64 = 1_790_000_000_000
  static let ingress = CarrierLeg(carrierID: "cust", interconnectID: "cust-in", serviceID: "s1")
  static let supplierA = CarrierLeg(carrierID: "supA", interconnectID: "a-out", serviceID: "s2")
  static let supplierB = CarrierLeg(carrierID: "supB", interconnectID: "b-out", serviceID: "s3")

  static func call(
    egress: CarrierLeg?, outcome: CallSummary.Outcome, status: Int, supplierStatus: Int? = nil,
    ringAfterMs: Int64? = nil, durationMs: Int64 = 0
  ) -> CallSummary {
    let answered: Int64? = outcome == .answered ? start + 5_000 : nil
    return CallSummary(
      recordID: "r", callID: "c", fromTag: "a", ingress: ingress, egress: egress,
      source: Endpoint(transport: .udp, host: "10.0.0.5", port: 5060), startedUnixMs: start,
      ringingUnixMs: ringAfterMs.map { start + $0 }, answeredUnixMs: answered,
      endedUnixMs: (answered ?? start + 9_000) + durationMs, finalStatus: status, outcome: outcome,
      attempts: 1,
      supplierStatus: supplierStatus ?? (outcome == .answered ? 200 : status))
  }

  /// Ten calls from one customer: four answered at A (60, 120, 30, 90 s),
  /// one busy at A, one cancelled while ringing at A, one 503 at A that
  /// failed over to B which answered (45 s), one 404 at B, two timeouts at B.
  static func scripted() -> QualityTable {
    let table = QualityTable()
    for (seconds, pdd) in [(60, 800), (120, 1500), (30, 2500), (90, 400)] as [(Int64, Int64)] {
      table.record(
        call(egress: supplierA, outcome: .answered, status: 200, ringAfterMs: pdd, durationMs: seconds * 1000)
      )
    }
    table.record(call(egress: supplierA, outcome: .failed, status: 486))
    table.record(call(egress: supplierA, outcome: .cancelled, status: 487, ringAfterMs: 6_000))
    table.failedOver(supplierA, status: 503)
    table.record(
      call(egress: supplierB, outcome: .answered, status: 200, ringAfterMs: 9_000, durationMs: 45_000))
    table.record(call(egress: supplierB, outcome: .failed, status: 404))
    table.record(call(egress: supplierB, outcome: .failed, status: 408))
    table.record(call(egress: supplierB, outcome: .failed, status: 500, supplierStatus: 408))
    table.refused(reason: "No Route")
    table.refused(reason: "Interconnect CPS Limit Exceeded")
    table.refused(reason: "No Route")
    return table
  }

  @Test func ingressSideCountsEveryCallOnce() throws {
    let table = Self.scripted()
    let q = try #require(
      table.carriers[QualityKey(side: .ingress, carrierID: "cust", interconnectID: "cust-in")])
    #expect(q.attempts == 10)
    #expect(q.answered == 5)
    #expect(q.asrPercent == 50)
    #expect(q.answeredMs == 345_000)
    #expect(q.acdSeconds == 69)
    // Answered 5 + busy + cancelled = 7 effective of 10.
    #expect(q.effective == 7)
    #expect(q.nerPercent == 70)
    // The customer heard 486, 404, 408 and 500 (the cancelled call is no failure).
    #expect(q.failuresByClass == [0, 3, 1, 0])
    #expect(q.pddCount == 6)
    #expect(q.pddSumMs == 800 + 1500 + 2500 + 400 + 6000 + 9000)
    // Cumulative buckets: <=250, 500, 1000, 2000, 3000, 5000, 8000, 13000, +Inf.
    #expect(q.pddBuckets == [0, 1, 2, 3, 4, 4, 5, 6, 6])
  }

  @Test func egressSideCountsEachTargetTried() throws {
    let table = Self.scripted()
    let a = try #require(
      table.carriers[QualityKey(side: .egress, carrierID: "supA", interconnectID: "a-out")])
    // 4 answered, a busy, a cancel, and the 503 that failed over.
    #expect(a.attempts == 7)
    #expect(a.answered == 4)
    #expect(a.acdSeconds == 75)
    #expect(a.effective == 6)
    #expect(a.failuresByClass == [0, 1, 1, 0])
    #expect(Int(a.asrPercent * 100) == 5714)
    let b = try #require(
      table.carriers[QualityKey(side: .egress, carrierID: "supB", interconnectID: "b-out")])
    #expect(b.attempts == 4)
    #expect(b.answered == 1)
    #expect(b.asrPercent == 25)
    #expect(b.acdSeconds == 45)
    // The supplier's own 408 counts at the supplier, not the 500 the customer got.
    #expect(b.failuresByClass == [0, 3, 0, 0])
    #expect(b.nerPercent == 25)
  }

  @Test func refusalsAreCountedByRule() {
    let table = Self.scripted()
    #expect(table.refusals == ["no_route": 2, "interconnect_cps_limit_exceeded": 1])
    #expect(QualityTable.ruleName("  Weird -- Reason!! ") == "weird_reason")
    #expect(QualityTable.ruleName("***") == "unnamed")
  }

  @Test func seriesAndRulesAreBounded() {
    let table = QualityTable()
    for index in 0..<(QualityTable.maxKeys + 10) {
      table.failedOver(
        CarrierLeg(carrierID: "c\(index)", interconnectID: "i\(index)", serviceID: "s"), status: 503)
    }
    #expect(table.carriers.count == QualityTable.maxKeys + 1)
    #expect(table.carriers[.overflow(.egress)]?.attempts == 10)
    for index in 0..<(QualityTable.maxRules + 5) { table.refused(reason: "rule \(index)") }
    #expect(table.refusals.count == QualityTable.maxRules + 1)
    #expect(table.refusals["other"] == 5)
  }

  @Test func noAttemptsMeansZeroRatios() {
    let q = CarrierQuality()
    #expect(q.asrPercent == 0 && q.acdSeconds == 0 && q.nerPercent == 0 && q.meanPDDMs == 0)
  }
}
