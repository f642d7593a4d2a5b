/// Many one-shot timers on a virtual clock in milliseconds, for the driver of
/// the transaction machines. It never reads a clock: `init(nowMs:)` and every
/// `expire(nowMs:)` tell it the time, and `schedule(_:afterMs:)` counts from
/// the latest of those.
///
/// A binary min-heap ordered by (deadline, schedule order) holds the
/// deadlines; the payloads of live timers sit in a dictionary keyed by id, so
/// `cancel` is one dictionary removal and the heap entry is dropped lazily
/// when it surfaces. When cancelled entries outnumber live ones the heap is
/// rebuilt, which keeps memory proportional to the live timers and costs
/// amortised O(1) per cancel. `schedule` and each expired timer cost
/// O(log n).
///
/// Not thread-safe: it belongs to one event loop.
public final class TimerWheel<Payload> {
  private struct Entry {
    var deadline: Int64
    var id: UInt64
  }

  private var heap: [Entry] = []
  private var payloads: [UInt64: Payload] = [:]
  private var nextID: UInt64 = 0
  /// The wheel's clock: the time given to `init` or the latest `expire`.
  public private(set) var nowMs: Int64

  public init(nowMs: Int64) {
    self.nowMs = nowMs
  }

  /// The number of live timers (scheduled, not yet expired nor cancelled).
  public var count: Int { payloads.count }

  /// The earliest deadline of a live timer, or `nil` when none is live.
  public var nextDeadlineMs: Int64? {
    dropCancelledTop()
    return heap.first?.deadline
  }

  /// Schedules `payload` to expire `afterMs` after the wheel's clock. Zero or
  /// a negative `afterMs` expires on the next `expire`.
  @discardableResult
  public func schedule(_ payload: Payload, afterMs: Int64) -> TimerID {
    let (sum, overflow) = nowMs.addingReportingOverflow(max(afterMs, 0))
    let id = nextID
    nextID += 1
    payloads[id] = payload
    heap.append(Entry(deadline: overflow ? .max : sum, id: id))
    siftUp(heap.count - 1)
    return TimerID(rawValue: id)
  }

  /// Cancels a timer; a timer that already expired or was cancelled is ignored.
  public func cancel(_ id: TimerID) {
    guard payloads.removeValue(forKey: id.rawValue) != nil else { return }
    if heap.count > 64 && heap.count > 2 * payloads.count {
      rebuild()
    }
  }

  /// Advances the clock to `nowMs` (it never goes back) and returns the
  /// payload of every live timer whose deadline is at or before it, by
  /// deadline and then by schedule order.
  public func expire(nowMs: Int64) -> [Payload] {
    self.nowMs = max(self.nowMs, nowMs)
    var expired: [Payload] = []
    while let top = heap.first, top.deadline <= self.nowMs {
      removeTop()
      if let payload = payloads.removeValue(forKey: top.id) {
        expired.append(payload)
      }
    }
    return expired
  }

  private func dropCancelledTop() {
    while let top = heap.first, payloads[top.id] == nil {
      removeTop()
    }
  }

  private func rebuild() {
    heap.removeAll { payloads[$0.id] == nil }
    var index = heap.count / 2
    while index > 0 {
      index -= 1
      siftDown(index)
    }
  }

  private func removeTop() {
    let last = heap.removeLast()
    guard !heap.isEmpty else { return }
    heap[0] = last
    siftDown(0)
  }

  private func precedes(_ a: Entry, _ b: Entry) -> Bool {
    a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id
  }

  private func siftUp(_ start: Int) {
    var child = start
    let entry = heap[child]
    while child > 0 {
      let parent = (child - 1) / 2
      guard precedes(entry, heap[parent]) else { break }
      heap[child] = heap[parent]
      child = parent
    }
    heap[child] = entry
  }

  private func siftDown(_ start: Int) {
    var parent = start
    let entry = heap[parent]
    let count = heap.count
    while true {
      var child = 2 * parent + 1
      guard child < count else { break }
      if child + 1 < count && precedes(heap[child + 1], heap[child]) {
        child += 1
      }
      guard precedes(heap[child], entry) else { break }
      heap[parent] = heap[child]
      parent = child
    }
    heap[parent] = entry
  }
}
