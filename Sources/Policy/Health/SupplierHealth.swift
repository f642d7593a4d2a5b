/// The health of every probed supplier interconnect, and when each is next
/// probed; one thread uses it (the proxy core's). Time is a parameter.
///
/// Routing reads only `isDown` (a set lookup, and none at all while every
/// trunk is up): a down trunk is skipped at once, with no failover wait.
/// The proxy core sends the probes `due` names, and feeds back what they
/// came to (`record`); a probe not answered within the timeout is a failure
/// (`expired`).
public final class SupplierHealth {
  private struct Entry {
    var target: ProbeTarget
    var health: InterconnectHealth
    var nextDueMs: Int64
    /// When the probe in flight was sent (nil: none in flight).
    var inFlightSinceMs: Int64?
    var sent = 0
    var failed = 0
    var changes = 0
  }

  public let thresholds: HealthThresholds
  private var entries: [String: Entry] = [:]
  /// The interconnects that are down now: what routing skips.
  public private(set) var downInterconnects: Set<String> = []

  public init(thresholds: HealthThresholds = HealthThresholds()) {
    self.thresholds = thresholds
  }

  /// Whether calls must skip `interconnectID` now.
  @inline(__always)
  public func isDown(_ interconnectID: String) -> Bool {
    !downInterconnects.isEmpty && downInterconnects.contains(interconnectID)
  }

  /// The probed set after a (re)load: kept interconnects keep their state
  /// and schedule (a new interval counts from the next probe); new ones are
  /// first probed at `nowMs`; dropped ones are forgotten (and never skipped).
  public func update(targets: [ProbeTarget], nowMs: Int64) {
    var next: [String: Entry] = [:]
    next.reserveCapacity(targets.count)
    for target in targets {
      if var entry = entries[target.interconnectID] {
        entry.target = target
        next[target.interconnectID] = entry
      } else {
        next[target.interconnectID] = Entry(
          target: target, health: InterconnectHealth(thresholds: thresholds), nextDueMs: nowMs)
      }
    }
    entries = next
    downInterconnects = Set(next.values.filter { $0.health.isDown }.map(\.target.interconnectID))
  }

  /// The targets to probe now (none in flight, due by `nowMs`); each is
  /// marked in flight and scheduled one interval on.
  public func due(nowMs: Int64) -> [ProbeTarget] {
    var targets: [ProbeTarget] = []
    for (id, entry) in entries where entry.inFlightSinceMs == nil && entry.nextDueMs <= nowMs {
      entries[id]?.inFlightSinceMs = nowMs
      entries[id]?.nextDueMs = nowMs + entry.target.intervalMs
      entries[id]?.sent += 1
      targets.append(entry.target)
    }
    return targets.sorted { $0.interconnectID < $1.interconnectID }
  }

  /// The probes in flight for longer than `timeoutMs`: each counts as
  /// timed out (recorded here); their ids, with any change it made.
  public func expired(nowMs: Int64, timeoutMs: Int64) -> [(String, InterconnectHealth.Change?)] {
    var out: [(String, InterconnectHealth.Change?)] = []
    for (id, entry) in entries {
      guard let since = entry.inFlightSinceMs, nowMs - since >= timeoutMs else { continue }
      out.append((id, record(id, .timedOut)))
    }
    return out.sorted { $0.0 < $1.0 }
  }

  /// What the probe in flight to `interconnectID` came to; the change of
  /// state it made, if any. Ignored when no probe is in flight there.
  @discardableResult
  public func record(_ interconnectID: String, _ outcome: ProbeOutcome) -> InterconnectHealth.Change? {
    guard var entry = entries[interconnectID], entry.inFlightSinceMs != nil else { return nil }
    entry.inFlightSinceMs = nil
    if !outcome.isSuccess { entry.failed += 1 }
    let change = entry.health.record(outcome)
    if change != nil { entry.changes += 1 }
    entries[interconnectID] = entry
    if let change {
      if change.to == .down {
        downInterconnects.insert(interconnectID)
      } else {
        downInterconnects.remove(interconnectID)
      }
    }
    return change
  }

  /// Whether a probe to `interconnectID` is in flight.
  public func inFlight(_ interconnectID: String) -> Bool { entries[interconnectID]?.inFlightSinceMs != nil }

  /// The earliest moment a probe falls due (nil: nothing probed).
  public var nextDueMs: Int64? { entries.values.map(\.nextDueMs).min() }

  /// Every probed interconnect's state, by id.
  public var states: [SupplierHealthState] {
    entries.values.map { entry in
      SupplierHealthState(
        interconnectID: entry.target.interconnectID, carrierID: entry.target.carrierID,
        state: entry.health.state, consecutiveFailures: entry.health.consecutiveFailures,
        consecutiveSuccesses: entry.health.consecutiveSuccesses, lastOutcome: entry.health.lastOutcome?.text,
        probesSent: entry.sent, probesFailed: entry.failed, changes: entry.changes)
    }.sorted { $0.interconnectID < $1.interconnectID }
  }
}
