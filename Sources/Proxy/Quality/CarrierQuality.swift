/// One carrier interconnect's call quality since the switch started, on one
/// side of the calls (docs/operations.md, "Quality metrics"): pure counts,
/// and the ratios operators read from them (ASR, ACD, NER, PDD).
public struct CarrierQuality: Sendable, Equatable {
  /// The upper bounds of the post-dial delay histogram, in milliseconds
  /// (INVITE received to the first 18x relayed); one more bucket is +Inf.
  public static let pddBucketsMs: [Int64] = [250, 500, 1000, 2000, 3000, 5000, 8000, 13000]

  /// Calls (ingress), or targets tried (egress: each failover counts).
  public var attempts = 0
  public var answered = 0
  /// Answered calls' durations, milliseconds (ACD's numerator).
  public var answeredMs: Int64 = 0
  /// Attempts that ended in an answer or a user's own decision (busy, no
  /// answer, declined, the caller's CANCEL): ITU-T E.425's effective
  /// attempts, NER's numerator. Network failures (408, 5xx, 403, 404 ...) are not.
  public var effective = 0
  /// Failed attempts by class of their final status: 3xx, 4xx, 5xx, 6xx.
  public var failuresByClass = [0, 0, 0, 0]
  /// Calls that rang, and how long after the INVITE (histogram, cumulative
  /// counts per `pddBucketsMs` plus +Inf, and the sum).
  public var pddBuckets = [Int](repeating: 0, count: CarrierQuality.pddBucketsMs.count + 1)
  public var pddCount = 0
  public var pddSumMs: Int64 = 0

  public init() {}

  /// Statuses that mean the user (not the network) decided: E.425's user
  /// busy, no answer, declined; 487 is a CANCEL.
  static let userDetermined: Set<Int> = [480, 486, 487, 600, 603]

  /// One attempt that was answered and lasted `durationMs`.
  mutating func answered(durationMs: Int64) {
    attempts += 1
    answered += 1
    effective += 1
    answeredMs += max(0, durationMs)
  }

  /// One attempt that ended unanswered with `status` (`cancelled`: by the caller).
  mutating func failed(status: Int, cancelled: Bool) {
    attempts += 1
    if cancelled || Self.userDetermined.contains(status) { effective += 1 }
    if !cancelled, (300...699).contains(status) { failuresByClass[status / 100 - 3] += 1 }
  }

  /// A call that rang `pddMs` after its INVITE.
  mutating func rang(pddMs: Int64) {
    let pdd = max(0, pddMs)
    pddCount += 1
    pddSumMs += pdd
    for (index, bound) in Self.pddBucketsMs.enumerated() where pdd <= bound { pddBuckets[index] += 1 }
    pddBuckets[Self.pddBucketsMs.count] += 1
  }

  /// Answer-seizure ratio: answered / attempts, in percent (0 with no attempt).
  public var asrPercent: Double { attempts == 0 ? 0 : Double(answered) * 100 / Double(attempts) }
  /// Average call duration of answered calls, seconds (0 with none).
  public var acdSeconds: Double { answered == 0 ? 0 : Double(answeredMs) / 1000 / Double(answered) }
  /// Network effectiveness ratio: effective / attempts, in percent.
  public var nerPercent: Double { attempts == 0 ? 0 : Double(effective) * 100 / Double(attempts) }
  /// Mean post-dial delay of the calls that rang, milliseconds.
  public var meanPDDMs: Double { pddCount == 0 ? 0 : Double(pddSumMs) / Double(pddCount) }
}
