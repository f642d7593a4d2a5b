/// How many new INVITEs per second the switch admits while its core loop is
/// overloaded (docs/overload.md): an AIMD controller on the admitted rate,
/// driven by the load of the loop, with a token bucket at that rate. Time is
/// a parameter; the load comes one sample at a time (`observe`).
///
/// The load is the worst smoothed loop signal over its limit (1 is at the
/// limit). While it stays at or below 1 there is no limit. When it goes
/// over, the limit starts at the rate the switch admitted just before (what
/// the loop could take) cut to 1/load of it, between 1/2 and 7/8 of it;
/// then, once per control step (`samplesPerStep` samples: 100 ms with the
/// daemon's 10 ms probe):
///
/// - over 1 and not lower than at the last step: cut (multiplicative
///   decrease) to 1/load, between 1/2 and 7/8: a queue twice too deep halves
///   the rate, one a little too deep takes 1/8 off;
/// - over 1 but lower than at the last step: hold (the last cut is still
///   draining the queue; cutting again would overshoot);
/// - at or below 1: raise by 1/64 of the rate the episode started from
///   (additive increase: that whole rate back in about 6 s; a faster rise
///   overshoots into the halving below and swings);
/// - at or below 3/4 with no INVITE refused during the step: the limit no
///   longer binds, it is lifted (the episode is over).
///
/// And at every sample, a sample's own (unsmoothed) load of 2 or more that
/// is not lower than the last sample's halves the limit: a flood fills the
/// queue within a step, faster than the smoothed signal shows, and every
/// admitted call waits in that queue (its responses too), so the queue must
/// drain first. After a halving, while the load stays at or below 1/4 (the
/// queue is empty: the limit is far below what the loop can take), the
/// raise is 1/4 of the limit per step when that is more than the additive
/// step (like TCP's slow start after a loss), so that a flood's first
/// halvings do not leave the switch admitting little for seconds.
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
  static let increaseShare = 1.0 / 64
  /// At or above this load, every sample that is not lower than the last one halves the limit.
  static let deep = 2.0
  /// After a halving, the limit is raised by this share per step (if more
  /// than the additive step) until the load is back over `recoveredAbove`.
  static let recoveryGrowth = 1.0 / 4
  static let recoveredAbove = 0.25
  static let liftBelow = 0.75
  /// The bucket holds at most this share of a second's worth of tokens.
  static let burstSeconds = 0.05

  /// The admitted rate when the episode started: the scale of its additive steps.
  private var episodeRate = 0.0
  private var tokens = 0.0
  /// When the tokens were counted; nil: from the next call on (a new episode starts empty).
  private var tokensAtMs: Int64?
  private var lastMs: Int64 = 0
  private var samples = 0
  private var loadAtLastStep = 0.0
  private var peakAtLastSample = 0.0
  private var halvedInStep = false
  /// After a halving, until the load is back over 1/4: raised by 1/4 per step.
  private var recovering = false
  private var refusedInStep = 0

  public init(minRate: Int = 10, samplesPerStep: Int = 10) {
    self.minRate = Double(max(1, minRate))
    self.samplesPerStep = max(1, samplesPerStep)
  }

  /// Whether new INVITEs are limited now.
  public var isLimiting: Bool { limit != nil }

  /// One load sample: the worst smoothed signal over its limit (1 is at the
  /// limit), and the sample's own, unsmoothed (`latest`; nil: the same).
  /// Returns true when limiting started or stopped.
  public mutating func observe(load: Double, latest: Double? = nil) -> Bool {
    let peak = latest ?? load
    guard let current = limit else {
      guard load > 1 else { return false }
      let rate = admitted.rate(nowMs: lastMs)
      episodeRate = max(minRate, rate)
      limit = max(minRate, rate * Self.cut(load))
      tokens = 0
      tokensAtMs = nil
      samples = 0
      refusedInStep = 0
      loadAtLastStep = load
      peakAtLastSample = peak
      halvedInStep = false
      recovering = false
      return true
    }
    defer { peakAtLastSample = peak }
    if peak >= Self.deep, peak >= peakAtLastSample {
      limit = max(minRate, (limit ?? current) * Self.deepestCut)
      halvedInStep = true
      recovering = true
    }
    samples += 1
    guard samples >= samplesPerStep else { return false }
    samples = 0
    let now = limit ?? current
    if load > Self.recoveredAbove { recovering = false }
    defer {
      loadAtLastStep = load
      refusedInStep = 0
      halvedInStep = false
    }
    if load > 1 {
      // Not again when samples of this step halved it.
      if load >= loadAtLastStep, !halvedInStep {
        limit = max(minRate, now * Self.cut(load))
      }
      return false
    }
    if load <= Self.liftBelow, refusedInStep == 0 {
      limit = nil
      return true
    }
    let additive = max(1, episodeRate * Self.increaseShare)
    limit = recovering ? max(now + additive, now * (1 + Self.recoveryGrowth)) : now + additive
    return false
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
