import Billing

/// The database side of monthly call limits (Migration 0020,
/// docs/softphones.md "Monthly call limits"): the calls each user has placed
/// in a month, as `usage_tracking.calls_used` holds them (counted by a
/// trigger on `calls`, in the transaction that inserts the row). One
/// connection, used on one thread; every call blocks (keep it off the event
/// loops). After a connection problem make a new store.
public final class MonthlyCallStore {
  public let connection: PGConnection

  /// Connects to `url` (a `postgresql://` URI or a conninfo string).
  public init(url: String) throws {
    connection = try PGConnection(url: url)
  }

  public init(connection: PGConnection) {
    self.connection = connection
  }

  /// Every user's count of calls placed in `month` (users with none are absent).
  public func counts(month: CalendarMonth) throws -> [MonthlyCallCounter.Key: Int] {
    let rows = try connection.query(
      "SELECT user_id::text, calls_used FROM usage_tracking WHERE month_year = \(month.description)")
    var counts: [MonthlyCallCounter.Key: Int] = [:]
    counts.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      guard let user = rows.string(row, 0), let used = rows.string(row, 1).flatMap({ Int($0) }) else {
        continue
      }
      counts[MonthlyCallCounter.Key(userID: user, month: month)] = used
    }
    return counts
  }
}
