import Billing
import Logging
import Testing

@testable import Store

@Suite(
  "Call records into PostgreSQL",
  .enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
struct CallRecordDatabaseTests {
  static let logger = Logger(label: "test.calls")

  static func writerConfiguration(_ directory: TemporaryDirectory) -> CallRecordWriter.Configuration {
    var configuration = CallRecordWriter.Configuration(directory: directory.path, batchSize: 100)
    configuration.initialReconnectDelay = .milliseconds(5)
    configuration.maxReconnectDelay = .milliseconds(50)
    return configuration
  }

  /// Journals `records` into `directory` and stops, leaving sealed segments.
  static func journal(_ records: [CallRecord], into directory: TemporaryDirectory) throws {
    var configuration = CallRecordJournal.Configuration(directory: directory.path)
    configuration.segmentMaxRecords = 150
    let journal = try CallRecordJournal(configuration: configuration, logger: logger)
    journal.start()
    for record in records { journal.append(record, durable: nil) }
    journal.stop()
  }

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func replayingTheSameSegmentsTwiceInsertsEveryRecordOnce(_ method: PostgresCallRecordStore.Method)
    async throws
  {
    try await TestDatabase.with { database in
      let directory = TemporaryDirectory()
      defer { directory.remove() }
      let records = (0..<420).map { $0 % 3 == 0 ? Records.failed($0) : Records.answered($0) }
      try Self.journal(records, into: directory)
      let segments = directory.journalFiles
      #expect(segments.count == 3)
      let copies = segments.map { directory.read($0) }

      for round in 0..<2 {
        if round == 1 { for (name, bytes) in zip(segments, copies) { directory.write(name, bytes) } }
        let writer = try CallRecordWriter(
          configuration: Self.writerConfiguration(directory), liveSequence: nil, databaseURL: database.url,
          method: method, logger: Self.logger)
        writer.start()
        #expect(await eventually { writer.currentCounters.pending == 0 && directory.journalFiles.isEmpty })
        #expect(writer.flushAndStop(deadline: .now + .seconds(10)))
        let counters = writer.currentCounters
        #expect(counters.inserted == (round == 0 ? 420 : 0))
        #expect(counters.duplicates == (round == 0 ? 0 : 420))
        #expect(try database.count() == 420)
      }
    }
  }

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func everyColumnIsWritten(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      var answered = Records.answered(1)
      answered.endedBy = "caller \"quoted\"\n"
      let failed = Records.failed(2)
      #expect(try store.insert([answered, failed]).inserted == 2)
      #expect(try store.insert([answered]).inserted == 0)
      let connection = try PGConnection(url: database.url)
      let row = try connection.query(
        """
        SELECT direction, from_number, to_number, original_from_number, original_to_number, status,
               duration_seconds, call_sid, started_at AT TIME ZONE 'UTC', answered_at AT TIME ZONE 'UTC',
               ended_at AT TIME ZONE 'UTC', metadata->>'ended_by', ingress_carrier_id, egress_service_id,
               sip_status, routes_tried, source_address, destination_address
        FROM calls WHERE uuid = \(answered.uuid)
        """)
      let values = (0..<row.columnCount).map { row.string(0, $0) }
      let expected: [String?] = [
        "outbound", answered.fromNumber, answered.toNumber, answered.originalFromNumber,
        answered.originalToNumber, "completed", "61", answered.callSID, "2024-02-29 23:59:59.999",
        "2024-03-01 00:00:03", "2024-03-01 00:01:04", "caller \"quoted\"\n", answered.ingressCarrierID,
        answered.egressServiceID, "200", "2", "192.0.2.10:5060", "198.51.100.7:5060",
      ]
      #expect(values == expected)
      let charges = try connection.query(
        """
        SELECT cost, currency, billable_seconds, rating_plan_id, rate_prefix, rate_per_minute, supplier_cost,
               supplier_currency, supplier_billable_seconds, supplier_rating_plan_id, supplier_rate_prefix,
               supplier_rate_per_minute, margin
        FROM calls WHERE uuid = \(answered.uuid)
        """)
      #expect(
        (0..<charges.columnCount).map { charges.string(0, $0) } == [
          "0.040000", "USD", "120", "00000000-0000-4000-8000-0000000000a1", "4989", "0.020000", "0.010450",
          "EUR",
          "66", "00000000-0000-4000-8000-0000000000a2", "49", "0.009500", "0.028641",
        ])
      let nulls = try connection.query(
        "SELECT direction, status, from_number IS NULL, answered_at IS NULL, metadata = '{}'::jsonb, sip_status, cost IS NULL, supplier_cost IS NULL, margin IS NULL FROM calls WHERE uuid = \(failed.uuid)"
      )
      #expect(
        (0..<9).map { nulls.string(0, $0) } == ["inbound", "busy", "t", "t", "t", "486", "t", "t", "t"])
    }
  }

  @Test func recordsJournalledWhileTheDatabaseIsUnreachableAllArrive() async throws {
    try await TestDatabase.with { database in
      let directory = TemporaryDirectory()
      defer { directory.remove() }
      let url = Box("postgresql://postgres@127.0.0.1:1/\(database.name)?connect_timeout=2")
      let pipeline = try CallRecordPipeline(
        journal: .init(directory: directory.path), writer: Self.writerConfiguration(directory),
        logger: Self.logger
      ) {
        try PostgresCallRecordStore(url: url.value)
      }
      pipeline.start()
      let records = (0..<250).map { Records.answered($0) }
      for record in records { pipeline.append(record, durable: nil) }
      #expect(
        await eventually { pipeline.counters.journalled == 250 && pipeline.counters.connectionFailures >= 3 })
      #expect(pipeline.counters.inserted == 0)
      url.set(database.url)
      #expect(await eventually { pipeline.counters.pending == 0 })
      #expect(pipeline.stop(deadline: .now + .seconds(10)))
      #expect(pipeline.counters.inserted == 250)
      #expect(pipeline.counters.reconnects == 1)
      #expect(try database.count() == 250)
    }
  }

  @Test func aConnectionKilledMidStreamLosesNothing() async throws {
    try await TestDatabase.with { database in
      let directory = TemporaryDirectory()
      defer { directory.remove() }
      let pipeline = try CallRecordPipeline(
        journal: .init(directory: directory.path), writer: Self.writerConfiguration(directory),
        logger: Self.logger
      ) {
        try PostgresCallRecordStore(url: database.url)
      }
      pipeline.start()
      for index in 0..<100 { pipeline.append(Records.failed(index), durable: nil) }
      #expect(await eventually { pipeline.counters.inserted == 100 })
      let admin = try PGConnection(url: database.url)
      try admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(database.name) AND pid <> pg_backend_pid()"
      )
      for index in 100..<200 { pipeline.append(Records.failed(index), durable: nil) }
      #expect(await eventually { pipeline.counters.pending == 0 })
      #expect(pipeline.stop(deadline: .now + .seconds(10)))
      #expect(try database.count() == 200)
      #expect(pipeline.counters.connectionFailures >= 1)
    }
  }

  @Test func aRecordPostgreSQLRefusesIsSetAside() async throws {
    try await TestDatabase.with { database in
      let directory = TemporaryDirectory()
      defer { directory.remove() }
      let pipeline = try CallRecordPipeline(
        journalDirectory: directory.path, databaseURL: database.url, logger: Self.logger)
      pipeline.start()
      var records = (0..<20).map { Records.answered($0) }
      records[7].uuid = "not-a-uuid"
      for record in records { pipeline.append(record, durable: nil) }
      #expect(await eventually { pipeline.counters.pending == 0 })
      #expect(pipeline.stop(deadline: .now + .seconds(10)))
      #expect(try database.count() == 19)
      #expect(pipeline.counters.rejected == 1)
      let rejected = directory.read(CallRecordWriter.rejectedFileName)
      #expect(String(decoding: rejected, as: UTF8.self).contains("not-a-uuid"))
    }
  }
}
