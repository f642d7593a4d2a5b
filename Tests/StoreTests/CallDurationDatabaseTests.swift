import Billing
import Testing

@testable import Store

/// Issue 17, rule 8: `calls.duration_ms` (Migration 0016) written beside
/// `duration_seconds`, by both insert methods; NULL for a record of an old
/// journal line, which has no exact duration.
@Suite(
  "The exact duration in PostgreSQL",
  .enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
struct CallDurationDatabaseTests {
  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func durationInMillisecondsIsWritten(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      var answered = Records.answered(1)
      answered.durationMs = 2_006
      answered.durationSeconds = 3
      let unanswered = Records.failed(2)
      var replayed = Records.answered(3)
      replayed.durationMs = nil
      #expect(try store.insert([answered, unanswered, replayed]).inserted == 3)
      let connection = try PGConnection(url: database.url)
      for (record, expected) in [
        (answered, ["2006", "3"]), (unanswered, ["0", "0"]), (replayed, [nil, "61"]),
      ] {
        let row = try connection.query(
          "SELECT duration_ms, duration_seconds FROM calls WHERE uuid = \(record.uuid)")
        #expect([row.string(0, 0), row.string(0, 1)] == expected)
      }
    }
  }
}
