/// Many one-shot timers on a virtual clock in milliseconds, for the driver of
/// the transaction machines. It never reads a clock: `init(nowMs:)` and every
/// `expire(nowMs:)` tell it the time, and `schedule(_:afterMs:)` counts from
/// the latest of those.
///
/// A hashed timing wheel: 65,536 slots of one millisecond, each a list of
/// timers whose deadline falls on it (deadlines a whole turn or more away
/// wait in their slot for later turns). Timers live in a slab of parallel
/// arrays with a free list; a `TimerID` is a slab index and a generation, so
/// `schedule` and `cancel` cost O(1) with no hashing, and a cancelled timer's
/// slot entry is dropped when its slot is next passed. `expire` looks at the
/// slots the clock moved over since the last call (the daemon ticks every
/// 10 ms, so about ten), in deadline order and schedule order within a
/// millisecond. A jump of a whole turn or more (a test's clock, a stalled
/// process) looks at every slot once and sorts what is due.
///
/// Not thread-safe: it belongs to one event loop.
public final class TimerWheel<Payload> {
  private struct Entry {
    var index: UInt32
    var generation: UInt32
  }

  private static var slotBits: Int { 16 }
  private static var slotCount: Int { 1 << slotBits }
  private static var slotMask: Int64 { Int64(slotCount - 1) }
  private static var compactionIntervalMs: Int64 { 10_000 }

  // The storage below is `@exclusivity(unchecked)`: every access is inside
  // this class's own methods, which call out to nothing while they hold one
  // (no closure, no payload code), and the wheel is used from one thread. The
  // runtime's dynamic checks cost about 80 instructions per schedule or
  // release, called several times per message (callgrind, proxy-bench).
  @exclusivity(unchecked) private var slots: [[Entry]]
  /// Timers scheduled with no delay since the last `expire`: due on the next.
  @exclusivity(unchecked) private var immediate: [Entry] = []
  @exclusivity(unchecked) private var scratch: [Entry] = []
  // The slab, one element per timer index.
  @exclusivity(unchecked) private var deadlines: [Int64] = []
  @exclusivity(unchecked) private var sequences: [UInt64] = []
  @exclusivity(unchecked) private var generations: [UInt32] = []
  @exclusivity(unchecked) private var payloads: [Payload?] = []
  @exclusivity(unchecked) private var freeIndices: [UInt32] = []
  @exclusivity(unchecked) private var nextSequence: UInt64 = 0
  /// Every slot up to this millisecond has been looked at.
  @exclusivity(unchecked) private var scannedThroughMs: Int64

  /// The number of live timers (scheduled, not yet expired nor cancelled).
  @exclusivity(unchecked) public private(set) var count = 0
  /// Slab entries in use or free: the most timers live at once since the
  /// slab was last compacted. A burst's slab shrinks back (`compactSlab`).
  public var slabSize: Int { payloads.count }
  /// Room the slab keeps (its arrays' capacity).
  public var slabCapacity: Int { payloads.capacity }
  /// Entries the slot lists have room for, in all: what the wheel holds
  /// beyond its slab. O(slots): for tests and diagnostics.
  public var slotCapacity: Int { slots.reduce(0) { $0 + $1.capacity } }
  private var lastCompactionMs: Int64
  /// The generation of entries appended to the slab: above every generation
  /// a dropped entry had, so no old id or slot entry matches a new timer.
  private var generationBase: UInt32 = 0
  /// The wheel's clock: the time given to `init` or the latest `expire`.
  public private(set) var nowMs: Int64

  public init(nowMs: Int64) {
    self.nowMs = nowMs
    scannedThroughMs = nowMs
    lastCompactionMs = nowMs
    slots = Array(repeating: [], count: Self.slotCount)
  }

  /// The earliest deadline of a live timer, or `nil` when none is live.
  /// O(number of timers): for tests and diagnostics, not the hot path.
  public var nextDeadlineMs: Int64? {
    var earliest: Int64?
    for index in payloads.indices where payloads[index] != nil {
      if earliest == nil || deadlines[index] < earliest! { earliest = deadlines[index] }
    }
    return earliest
  }

  /// Schedules `payload` to expire `afterMs` after the wheel's clock. Zero or
  /// a negative `afterMs` expires on the next `expire`.
  @discardableResult
  public func schedule(_ payload: Payload, afterMs: Int64) -> TimerID {
    let (sum, overflow) = nowMs.addingReportingOverflow(max(afterMs, 0))
    let deadline = overflow ? .max : sum
    let index: Int
    if let free = freeIndices.popLast() {
      index = Int(free)
      deadlines[index] = deadline
      sequences[index] = nextSequence
      payloads[index] = payload
    } else {
      index = payloads.count
      deadlines.append(deadline)
      sequences.append(nextSequence)
      generations.append(generationBase)
      payloads.append(payload)
    }
    nextSequence &+= 1
    count += 1
    let entry = Entry(index: UInt32(index), generation: generations[index])
    if deadline <= scannedThroughMs {
      immediate.append(entry)
    } else {
      slots[Int(deadline & Self.slotMask)].append(entry)
    }
    return TimerID(rawValue: UInt64(entry.generation) << 32 | UInt64(entry.index))
  }

  /// Cancels a timer; a timer that already expired or was cancelled is ignored.
  public func cancel(_ id: TimerID) {
    let index = Int(id.rawValue & 0xFFFF_FFFF)
    guard index < generations.count, generations[index] == UInt32(truncatingIfNeeded: id.rawValue >> 32),
      payloads[index] != nil
    else { return }
    release(index)
  }

  /// Advances the clock to `nowMs` (it never goes back) and returns the
  /// payload of every live timer whose deadline is at or before it, by
  /// deadline and then by schedule order.
  public func expire(nowMs: Int64) -> [Payload] {
    self.nowMs = max(self.nowMs, nowMs)
    var expired: [Payload] = []
    if !immediate.isEmpty {
      swap(&immediate, &scratch)
      for entry in scratch where isLive(entry) { expired.append(take(Int(entry.index))) }
      recycleScratch()
    }
    let target = self.nowMs
    guard target > scannedThroughMs else { return expired }
    if target - scannedThroughMs >= Int64(Self.slotCount) {
      expired += expireEverySlot(through: target)
    } else {
      var ms = scannedThroughMs
      while ms < target {
        ms += 1
        let slot = Int(ms & Self.slotMask)
        guard !slots[slot].isEmpty else { continue }
        swap(&slots[slot], &scratch)
        for entry in scratch where isLive(entry) {
          if deadlines[Int(entry.index)] <= target {
            expired.append(take(Int(entry.index)))
          } else {
            slots[slot].append(entry)  // a later turn
          }
        }
        releaseIfEmpty(slot)
        recycleScratch()
      }
    }
    scannedThroughMs = target
    if target - lastCompactionMs >= Self.compactionIntervalMs {
      lastCompactionMs = target
      compactSlab()
    }
    return expired
  }

  /// The one spare list keeps its capacity (up to a point): it takes each
  /// slot's list in turn.
  private func recycleScratch() {
    if scratch.capacity > 4096 { scratch = [] } else { scratch.removeAll(keepingCapacity: true) }
  }

  /// A slot left with no timer gives its list back: 65,536 slots each
  /// keeping the capacity of their busiest millisecond would hold tens of
  /// megabytes after a burst.
  private func releaseIfEmpty(_ slot: Int) {
    if slots[slot].isEmpty, slots[slot].capacity > 0 { slots[slot] = [] }
  }

  /// After a burst the slab holds as many entries as timers were ever live
  /// at once, and the slots hold the entries of cancelled timers until they
  /// are passed (up to a turn later). At most every 10 s, when three
  /// quarters of the slab are free, the slots drop their dead entries, the
  /// free entries at the end of the slab are dropped, and the free list is
  /// sorted so the lowest indices are reused first and the end keeps emptying.
  private func compactSlab() {
    guard payloads.count > 4096, count * 4 < payloads.count else { return }
    for slot in slots.indices where !slots[slot].isEmpty {
      slots[slot].removeAll { !isLive($0) }
      releaseIfEmpty(slot)
    }
    immediate.removeAll { !isLive($0) }
    var end = payloads.count
    while end > 0, payloads[end - 1] == nil { end -= 1 }
    if end < payloads.count {
      generationBase = generations[end...].reduce(generationBase) { max($0, $1 &+ 1) }
      deadlines.removeSubrange(end...)
      sequences.removeSubrange(end...)
      generations.removeSubrange(end...)
      payloads.removeSubrange(end...)
    }
    freeIndices = freeIndices.filter { Int($0) < end }.sorted(by: >)
    if payloads.count * 2 < payloads.capacity {
      deadlines = Self.shrunk(deadlines)
      sequences = Self.shrunk(sequences)
      generations = Self.shrunk(generations)
      payloads = Self.shrunk(payloads)
    }
    if freeIndices.count * 2 < freeIndices.capacity { freeIndices = Self.shrunk(freeIndices) }
  }

  /// A copy with no more room than it needs (`Array(array)` would share the
  /// old buffer, and `removeSubrange` keeps its capacity).
  private static func shrunk<Element>(_ array: [Element]) -> [Element] {
    var copy: [Element] = []
    copy.reserveCapacity(array.count)
    copy.append(contentsOf: array)
    return copy
  }

  /// The clock moved a whole turn or more: every slot, due timers sorted.
  private func expireEverySlot(through target: Int64) -> [Payload] {
    var due: [Int] = []
    for slot in slots.indices where !slots[slot].isEmpty {
      swap(&slots[slot], &scratch)
      for entry in scratch where isLive(entry) {
        if deadlines[Int(entry.index)] <= target {
          due.append(Int(entry.index))
        } else {
          slots[slot].append(entry)
        }
      }
      releaseIfEmpty(slot)
      recycleScratch()
    }
    due.sort { (deadlines[$0], sequences[$0]) < (deadlines[$1], sequences[$1]) }
    return due.map(take)
  }

  private func isLive(_ entry: Entry) -> Bool {
    let index = Int(entry.index)
    return index < payloads.count && generations[index] == entry.generation && payloads[index] != nil
  }

  private func take(_ index: Int) -> Payload {
    let payload = payloads[index]!
    release(index)
    return payload
  }

  /// Frees a slab index; its generation moves on, so its old id and slot entry no longer match.
  private func release(_ index: Int) {
    payloads[index] = nil
    generations[index] &+= 1
    freeIndices.append(UInt32(index))
    count -= 1
  }
}
