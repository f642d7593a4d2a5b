import Billing
import Logging
import Testing

@testable import Store

/// `calls.sip_status` and `calls.supplier_sip_status` (Migration 0014): both
/// written, and a journal line of the previous format (v3) replayed after an
/// upgrade; `cancelled` and `ringing_at` (Migration 0021).
@Suite(
  "The caller's and the supplier's status in PostgreSQL",
  .enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
struct CallStatusDatabaseTests {
  static let logger = Logger(label: "test.call-status")

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func bothStatusesAreWritten(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      // A supplier's 503 that the customer's release-cause mapping sent on as 486.
      var mapped = Records.failed(1)
      mapped.sipStatus = 486
      mapped.supplierSIPStatus = 503
      let unknown = Records.failed(2)
      let answered = Records.answered(3)
      #expect(try store.insert([mapped, unknown, answered]).inserted == 3)
      let connection = try PGConnection(url: database.url)
      for (record, expected) in [
        (mapped, ["486", "503"]), (unknown, ["486", nil]), (answered, ["200", "200"]),
      ] {
        let row = try connection.query(
          "SELECT sip_status, supplier_sip_status FROM calls WHERE uuid = \(record.uuid)")
        #expect([row.string(0, 0), row.string(0, 1)] == expected)
      }
    }
  }

  /// Issue 18 item 8 (Migration 0021): a call the caller cancelled is
  /// `cancelled`, and the first 18x's time is `ringing_at`; a call that never
  /// rang has none.
  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func cancelledAndRingingAreWritten(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      var cancelled = Records.failed(1)
      cancelled.status = .cancelled
      cancelled.sipStatus = 487
      cancelled.ringingUnixMs = 951_868_799_456
      var answered = Records.answered(2)
      answered.ringingUnixMs = 1_709_251_201_250
      let neverRang = Records.failed(3)
      #expect(try store.insert([cancelled, answered, neverRang]).inserted == 3)
      let connection = try PGConnection(url: database.url)
      for (record, expected) in [
        (cancelled, ["cancelled", "951868799456"]), (answered, ["completed", "1709251201250"]),
        (neverRang, ["busy", nil]),
      ] {
        let row = try connection.query(
          """
          SELECT status::text, (extract(epoch FROM ringing_at) * 1000)::bigint
          FROM calls WHERE uuid = \(record.uuid)
          """)
        #expect([row.string(0, 0), row.string(0, 1)] == expected)
      }
    }
  }

  /// A journal segment written by the previous version (lines `v3`, 37
  /// fields) is replayed by this one: the record arrives, with no supplier status.
  @Test func aJournalOfThePreviousVersionReplays() async throws {
    try await TestDatabase.with { database in
      let directory = TemporaryDirectory()
      defer { directory.remove() }
      var fields = Array(repeating: "\\N", count: 37)
      fields[0] = "0b6c7c1e-3f4a-4d2b-9c1e-5a8f6e2d1c3b"
      fields[1] = "outbound"
      fields[6] = "busy"
      fields[7] = "0"
      fields[8] = "old-journal-1"
      fields[9] = "1790000000000"
      fields[11] = "1790000004000"
      fields[18] = "486"
      fields[19] = "1"
      let payload = "v3\t" + fields.joined(separator: "\t")
      let crc = String(CRC32.checksum(Array(payload.utf8)), radix: 16)
      let line = String(repeating: "0", count: 8 - crc.count) + crc + "\t" + payload + "\n"
      directory.write(JournalSegment.fileName(1), Array(line.utf8))

      var configuration = CallRecordWriter.Configuration(directory: directory.path, batchSize: 10)
      configuration.initialReconnectDelay = .milliseconds(5)
      configuration.maxReconnectDelay = .milliseconds(50)
      let writer = try CallRecordWriter(
        configuration: configuration, liveSequence: nil, databaseURL: database.url, method: .copy,
        logger: Self.logger)
      writer.start()
      #expect(await eventually { writer.currentCounters.pending == 0 && directory.journalFiles.isEmpty })
      #expect(writer.flushAndStop(deadline: .now + .seconds(10)))
      #expect(writer.currentCounters.inserted == 1)
      let connection = try PGConnection(url: database.url)
      let row = try connection.query(
        "SELECT status, sip_status, supplier_sip_status IS NULL, call_sid FROM calls WHERE uuid = \(fields[0])"
      )
      #expect((0..<4).map { row.string(0, $0) } == ["busy", "486", "t", "old-journal-1"])
    }
  }
}
