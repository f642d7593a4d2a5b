/// How many new INVITEs per second the switch admits while its core loop is
/// overloaded (docs/overload.md): an AIMD controller on the admitted rate,
/// driven by the load of the loop, with a token bucket at that rate. Time is
/// a parameter; the load comes one sample at a time (`observe`).
///
/// The load is the worst smoothed loop signal over its limit (1 is at the
/// limit). While it stays at or below 1 there is no limit. When it goes
/// over, the limit starts at the rate the switch admitted just before (what
/// the loop could take) cut to 1/load of it, between 1/2 and 7/8 of it.
///
/// It remembers the **ceiling**: the limit at which the loop last overflowed
/// (as CUBIC remembers its window at the last loss). Then, at every sample,
/// a sample's own (unsmoothed) load of 2 or more that is not lower than the
/// last sample's **halves** the limit, at most once per `samplesPerStep / 2`
/// samples: a flood fills the queue within a step, faster than the smoothed
/// signal shows, but the queue keeps growing for a while after a cut (the
/// calls admitted before it still send their responses, ACK and BYE), so
/// halving at every sample would throw away far more than the overflow.
/// And once per control step (`samplesPerStep` samples: 100 ms with the
/// daemon's 10 ms probe):
///
/// - over 1 and not lower than at the last step: cut (multiplicative
///   decrease) to 1/load, between 1/2 and 7/8: a queue twice too deep halves
///   the rate, one a little too deep takes 1/8 off;
/// - over 1 but lower than at the last step: hold (the last cut is still
///   draining the queue; cutting again would overshoot);
/// - at or below 1, after a cut and below 7/8 of the ceiling: **recover**,
///   1/4 more per step (twice as much while the load is at or below 1/4:
///   the queue is empty), up to 7/8 of the ceiling (the loop took that rate
///   a moment ago; creeping back to it would waste its capacity for
///   seconds); a cut after the limit grew makes the rate that overflowed
///   the ceiling, but halves the ceiling at most;
/// - at or below 1 otherwise: **probe**, 1/128 of the ceiling more per step
///   below the ceiling (from 7/8 of it back to it in 1.6 s: the overflows
///   that make the tail of the setup times come seldom); above it, 1/64 of
///   the ceiling or 1/4 of the excess over it, whichever is more (the loop
///   takes more now: the ceiling was low, or other load went away);
/// - at or below 3/4 with no INVITE refused during the step: the limit no
///   longer binds, it is lifted (the episode is over).
///
/// When the loop thread's CPU share is known (`utilization`, 0 to 1), an
/// episode starts at half the rate admitted just before (the limit grows
/// back within a few steps), and no higher than the rate admitted before
/// the flood scaled to `targetUtilization` of the CPU (`capacity`); and the
/// share replaces
/// the two rules that raise the limit: the loop's headroom says
/// how far the rate can grow, where the ceiling only says where it last
/// overflowed. At or above `targetUtilization` the limit holds; below it,
/// it grows by half the headroom, `(target - u) / u / 2`, at most doubling
/// per step. A flood that found the switch idle (its limit cut to a few
/// calls a second while the first backlog drained) is back at the loop's
/// capacity in about a second, not after seconds of probing; and growth
/// slows as the loop fills, so it no longer overshoots into an overflow.
///
/// So the admitted load tracks what the loop can take instead of swinging
/// between everything and nothing. The limit never goes below `minRate`.
public struct AdmissionController: Sendable {
  /// New INVITEs per second admitted at most, while limited; nil: no limit.
  public private(set) var limit: Double?
  /// The least `limit` gets, per second.
  public let minRate: Double
  /// Load samples per control step.
  public let samplesPerStep: Int
  /// New INVITEs admitted per second (all of them, limited or not).
  public private(set) var admitted = RateMeter()

  static let firstCut = 7.0 / 8
  static let deepestCut = 1.0 / 2
  /// The additive step per control step, as a share of the ceiling: below it, and above it.
  static let probeBelowCeiling = 1.0 / 128
  static let probeAboveCeiling = 1.0 / 64
  /// At or above this load, a sample that is not lower than the last one halves the limit.
  static let deep = 2.0
  /// After a cut, the limit grows by this share per step up to `recoverTo`
  /// of the ceiling; by `emptyQueueGrowth` while the load is at or below
  /// `emptyBelow` (the queue is empty: the limit is far below what the loop takes).
  static let recoveryGrowth = 1.0 / 4
  static let emptyQueueGrowth = 1.0
  static let emptyBelow = 0.25
  static let recoverTo = 7.0 / 8
  static let liftBelow = 0.75
  /// The loop thread's CPU share the headroom rule fills up to.
  public static let targetUtilization = 0.92
  /// The bucket holds at most this share of a second's worth of tokens.
  static let burstSeconds = 0.05

  /// The limit at which the loop last overflowed (the scale of the additive
  /// steps); the admitted rate when the episode started until then.
  public private(set) var ceiling = 0.0
  private var tokens = 0.0
  /// When the tokens were counted; nil: from the next call on (a new episode starts empty).
  private var tokensAtMs: Int64?
  private var lastMs: Int64 = 0
  private var samples = 0
  private var loadAtLastStep = 0.0
  private var peakAtLastSample = 0.0
  private var halvedInStep = false
  /// Samples since the last halving.
  private var samplesSinceHalving = Int.max
  /// After a cut, until the limit is back at 7/8 of the ceiling: raised by 1/4 per step.
  private var recovering = false
  /// Whether the limit was raised since the last cut.
  private var grewSinceCut = false
  private var refusedInStep = 0

  public init(minRate: Int = 10, samplesPerStep: Int = 10) {
    self.minRate = Double(max(1, minRate))
    self.samplesPerStep = max(1, samplesPerStep)
  }

  /// Whether new INVITEs are limited now.
  public var isLimiting: Bool { limit != nil }

  /// One load sample: the worst smoothed signal over its limit (1 is at the
  /// limit), and the sample's own, unsmoothed (`latest`; nil: the same).
  /// `backlog`: new calls are piling up, so a `latest` over 1 starts
  /// limiting even while the smoothed load is not yet.
  /// Returns true when limiting started or stopped.
  /// `utilization`: the loop thread's latest CPU share (0 to 1), if known.
  public mutating func observe(
    load: Double, latest: Double? = nil, backlog: Bool = false, utilization: Double? = nil
  ) -> Bool {
    let peak = latest ?? load
    guard let current = limit else {
      guard load > 1 || (backlog && peak > 1) else { return false }
      startEpisode(load: load > 1 ? load : peak, peak: peak, utilization: utilization)
      return true
    }
    defer { peakAtLastSample = peak }
    samplesSinceHalving = samplesSinceHalving == .max ? .max : samplesSinceHalving + 1
    if peak >= Self.deep, peak >= peakAtLastSample, samplesSinceHalving >= max(1, samplesPerStep / 2) {
      overflowed(at: current, to: current * Self.deepestCut)
      halvedInStep = true
      samplesSinceHalving = 0
    }
    samples += 1
    guard samples >= samplesPerStep else { return false }
    samples = 0
    let now = limit ?? current
    defer {
      loadAtLastStep = load
      refusedInStep = 0
      halvedInStep = false
    }
    if load > 1 {
      // Not again when samples of this step halved it.
      if load >= loadAtLastStep, !halvedInStep { overflowed(at: now, to: now * Self.cut(load)) }
      return false
    }
    if load <= Self.liftBelow, refusedInStep == 0 {
      limit = nil
      return true
    }
    limit = utilization.map { grown(now, utilization: $0) } ?? raised(now, load: load)
    return false
  }

  private mutating func startEpisode(load: Double, peak: Double, utilization: Double?) {
    let rate = max(minRate, admitted.rate(nowMs: lastMs))
    ceiling = rate
    // With the CPU share known the limit grows back within a few steps, so
    // the first cut can be deep: at a flood's start the rate just admitted
    // is more than the loop takes whatever the load shows yet.
    let cut = utilization == nil ? Self.cut(load) : Self.deepestCut
    limit = max(minRate, min(rate * cut, capacity(utilization: utilization) ?? .infinity))
    tokens = 0
    tokensAtMs = nil
    samples = 0
    refusedInStep = 0
    loadAtLastStep = load
    peakAtLastSample = peak
    halvedInStep = false
    samplesSinceHalving = .max
    recovering = true
    grewSinceCut = false
  }

  /// The loop overflowed at `rate` (the limit then): it is the new ceiling
  /// if the limit grew since the last cut (a second cut of one overflow
  /// says the overflow was deep, not that the loop takes less), but the
  /// ceiling falls by half at most per overflow: an overflow while the
  /// backlog of a flood still drains, at a limit cut far down, must not
  /// leave the switch probing up from a few calls a second.
  private mutating func overflowed(at rate: Double, to newLimit: Double) {
    if grewSinceCut { ceiling = max(rate, ceiling / 2) }
    limit = max(minRate, newLimit)
    recovering = true
    grewSinceCut = false
  }

  /// The limit after a step at or below the load limit.
  private mutating func raised(_ now: Double, load: Double) -> Double {
    grewSinceCut = true
    let target = ceiling * Self.recoverTo
    if recovering, now < target {
      let growth = load <= Self.emptyBelow ? Self.emptyQueueGrowth : Self.recoveryGrowth
      return min(target, max(now + 1, now * (1 + growth)))
    }
    recovering = false
    guard now >= ceiling else { return now + max(1, ceiling * Self.probeBelowCeiling) }
    // Past the ceiling with no overflow: it no longer holds; growing by a
    // quarter of the excess finds the loop's new capacity in seconds, not minutes.
    return now + max(1, ceiling * Self.probeAboveCeiling, (now - ceiling) * Self.recoveryGrowth)
  }

  /// What the loop took before the episode (the admitted rate of the last
  /// closed windows), scaled to `targetUtilization` of its CPU: at a flood's
  /// start the rate just admitted is the flood's own, several times what
  /// the loop takes, and the first cut to half of it would still overflow.
  /// Nil when the loop was too idle to tell (under 20 % busy, or fewer than
  /// `minRate` calls a second: a switch flooded from nothing).
  private func capacity(utilization: Double?) -> Double? {
    guard let utilization, utilization >= Self.estimateFrom, admitted.smoothed >= minRate else { return nil }
    return admitted.smoothed * Self.targetUtilization / utilization
  }

  static let estimateFrom = 0.2

  /// The limit after a step at or below the load limit, from the loop's CPU headroom.
  private mutating func grown(_ now: Double, utilization: Double) -> Double {
    recovering = false
    guard utilization < Self.targetUtilization else { return now }
    grewSinceCut = true
    let headroom = (Self.targetUtilization - utilization) / max(utilization, 0.05) / 2
    return max(now + 1, now * (1 + min(Self.emptyQueueGrowth, headroom)))
  }

  /// The share of the limit kept when the load is `load` (over 1): 1/load, between 1/2 and 7/8.
  static func cut(_ load: Double) -> Double { min(firstCut, max(deepestCut, 1 / load)) }

  /// Whether a new INVITE may be admitted at `nowMs` (a token is there, or
  /// there is no limit). Takes nothing: `admit` does.
  public mutating func mayAdmit(nowMs: Int64) -> Bool {
    lastMs = max(lastMs, nowMs)
    guard let limit else { return true }
    refill(limit: limit, nowMs: nowMs)
    return tokens >= 1
  }

  /// Counts an admitted INVITE (and takes its token while limited).
  public mutating func admit(nowMs: Int64) {
    lastMs = max(lastMs, nowMs)
    if let limit {
      refill(limit: limit, nowMs: nowMs)
      tokens = max(0, tokens - 1)
    }
    admitted.count(nowMs: nowMs)
  }

  /// Counts a new INVITE refused because of the limit.
  public mutating func refuse() { refusedInStep += 1 }

  private mutating func refill(limit: Double, nowMs: Int64) {
    guard let since = tokensAtMs else {
      tokensAtMs = nowMs
      return
    }
    let elapsed = nowMs - since
    guard elapsed > 0 else { return }
    tokensAtMs = nowMs
    let burst = max(1, limit * Self.burstSeconds)
    tokens = min(burst, tokens + Double(elapsed) * limit / 1000)
  }
}
