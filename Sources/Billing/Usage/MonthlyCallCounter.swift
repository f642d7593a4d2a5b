/// Monthly call limits of softphone users (seed 003's plans, Migration 0020,
/// docs/softphones.md "Monthly call limits"): how many calls a user has
/// placed in a calendar month (UTC), and whether it may place one more.
///
/// The count of a user in a month is
///
///     stored + held + pending + committed since the last sync began
///
/// where `stored` is `usage_tracking.calls_used` as last read (every
/// switch's committed calls), `held` the calls this switch admitted and has
/// not ended (so concurrent calls cannot overshoot the limit), `pending` the
/// answered calls it journalled but has not seen committed, and the last
/// term the calls committed while a read of `stored` may have missed them.
/// A call is admitted only while that count is below the limit.
///
/// Not thread-safe: it lives on the event loop of the calls it counts, like
/// `CreditLedger`. Time is a parameter; it reads no clock.
public final class MonthlyCallCounter {
  /// One user in one month.
  public struct Key: Sendable, Hashable {
    public var userID: String
    public var month: CalendarMonth

    public init(userID: String, month: CalendarMonth) {
      self.userID = userID
      self.month = month
    }
  }

  private var stored: [Key: Int] = [:]
  /// Admitted calls not yet ended.
  private var held: [String: Key] = [:]
  /// Answered calls journalled, not yet seen committed.
  private var pending: [String: Key] = [:]
  /// Calls seen committed, with the sync round current then: a read begun
  /// in a later round includes them.
  private var committed: [String: (key: Key, round: UInt64)] = [:]
  /// held + pending + committed, per key.
  private var local: [Key: Int] = [:]
  private var round: UInt64 = 0

  public init() {}

  /// The calls `userID` has placed (or holds) in the month of `unixMs`.
  public func count(userID: String, unixMs: Int64) -> Int {
    let key = Key(userID: userID, month: CalendarMonth(unixMs: unixMs))
    return (stored[key] ?? 0) + (local[key] ?? 0)
  }

  /// Admits `call` of `userID` starting at `unixMs` when the count of its
  /// month is below `limit` (nil: unlimited, always admitted), and holds
  /// its place until `end`. `force` admits it whatever the count (an
  /// emergency number) and still holds it. False: refused, nothing held.
  public func admit(call uuid: String, userID: String, limit: Int?, unixMs: Int64, force: Bool = false)
    -> Bool
  {
    let key = Key(userID: userID, month: CalendarMonth(unixMs: unixMs))
    if !force, let limit, (stored[key] ?? 0) + (local[key] ?? 0) >= limit { return false }
    guard held[uuid] == nil else { return true }
    held[uuid] = key
    local[key, default: 0] += 1
    return true
  }

  /// The call ended: answered, it counts (pending until committed); else its
  /// place is freed. A call never admitted changes nothing.
  public func end(call uuid: String, answered: Bool) {
    guard let key = held.removeValue(forKey: uuid) else { return }
    if answered {
      pending[uuid] = key
    } else {
      release(key)
    }
  }

  /// An answered call journalled by an earlier run, not yet committed.
  public func addPending(uuid: String, userID: String, startedUnixMs: Int64) {
    guard pending[uuid] == nil, held[uuid] == nil else { return }
    let key = Key(userID: userID, month: CalendarMonth(unixMs: startedUnixMs))
    pending[uuid] = key
    local[key, default: 0] += 1
  }

  /// The writer committed these records (new or already stored): they count
  /// until a read of the stored counts begun after now.
  public func committed(uuids: [String]) {
    for uuid in uuids {
      guard let key = pending.removeValue(forKey: uuid) else { continue }
      committed[uuid] = (key, round)
    }
  }

  /// A read of the stored counts is about to begin: pass the token to `load`.
  public func beginSync() -> UInt64 {
    round &+= 1
    return round
  }

  /// The stored counts of the month read by the sync that began with
  /// `token` (`beginSync`): they replace the stored counts of that month
  /// (older months are dropped), and every call committed before that read
  /// began is in them now.
  public func load(_ counts: [Key: Int], month: CalendarMonth, token: UInt64) {
    stored = stored.filter { $0.key.month > month }
    for (key, value) in counts where key.month == month { stored[key] = value }
    for (uuid, entry) in committed where entry.round < token {
      committed.removeValue(forKey: uuid)
      release(entry.key)
    }
  }

  private func release(_ key: Key) {
    let left = (local[key] ?? 0) - 1
    local[key] = left > 0 ? left : nil
  }
}
