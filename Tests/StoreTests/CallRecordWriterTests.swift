import Billing
import Logging
import Routing
import Testing

@testable import Store

/// The writer's logic against an in-memory table: replay, idempotence,
/// retries through connection failures, records set aside.
@Suite("CallRecordWriter with an in-memory table")
struct CallRecordWriterTests {
  static let logger = Logger(label: "test.writer")

  static func pipeline(
    _ directory: TemporaryDirectory, _ table: MemoryCallRecordTable, batchSize: Int = 10
  ) throws -> CallRecordPipeline {
    var journal = CallRecordJournal.Configuration(directory: directory.path)
    journal.segmentMaxRecords = 25
    var writer = CallRecordWriter.Configuration(directory: directory.path, batchSize: batchSize)
    writer.initialReconnectDelay = .milliseconds(1)
    writer.maxReconnectDelay = .milliseconds(4)
    return try CallRecordPipeline(journal: journal, writer: writer, logger: logger) { try table.connect() }
  }

  @Test func everyRecordArrivesOnceInOrderAndSegmentsAreDeleted() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    let pipeline = try Self.pipeline(directory, table)
    pipeline.start()
    let records = (0..<120).map { Records.answered($0) }
    for record in records { pipeline.append(record, durable: nil) }
    #expect(await eventually { pipeline.counters.inserted == 120 && pipeline.counters.pending == 0 })
    #expect(pipeline.stop(deadline: .now + .seconds(10)))
    #expect(table.insertOrder == records.map(\.uuid))
    #expect(table.rows[records[5].uuid] == records[5])
    #expect(directory.journalFiles.isEmpty)
    let counters = pipeline.counters
    #expect(counters.journalled == 120 && counters.duplicates == 0 && counters.rejected == 0)
  }

  @Test func everyCommitIsReportedWithTheBalancesItCharged() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    let account = AccountRef(.customer, "c1")
    table.open(account, balance: Money("10")!)
    let charge = AccountCharge(account: account, column: .customer, amount: Money("0.5")!, currency: "USD")
    let missing = AccountCharge(
      account: AccountRef(.wallet, "9"), column: .wallet, amount: Money("1")!, currency: "USD")
    let records = (0..<20).map { Records.charged($0, charges: $0 == 7 ? [charge, missing] : [charge]) }
    table.refuse(records[13].uuid)
    let pipeline = try Self.pipeline(directory, table)
    let batches = Box<[CallRecordWriter.CommittedBatch]>([])
    pipeline.setCommitObserver { batch in batches.mutate { $0.append(batch) } }
    pipeline.start()
    for record in records { pipeline.append(record, durable: nil) }
    #expect(await eventually { pipeline.counters.pending == 0 })
    #expect(pipeline.stop(deadline: .now + .seconds(10)))
    // Inserted, set aside or not: every record is reported once, in order.
    #expect(batches.value.flatMap(\.uuids) == records.map(\.uuid))
    #expect(batches.value.last?.balances[account] == AccountBalance(amount: Money("0.5")!, version: 19))
    #expect(pipeline.counters.unappliedCharges == 1)
    #expect(pipeline.counters.rejected == 1)
  }

  @Test func pendingChargesListsWhatAnEarlierProcessLeftInTheJournal() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let charge = AccountCharge(
      account: AccountRef(.wallet, "3"), column: .wallet, amount: Money("0.25")!, currency: "EUR")
    let records = (0..<60).map { Records.charged($0, charges: $0 % 3 == 0 ? [charge] : []) }
    var configuration = CallRecordJournal.Configuration(directory: directory.path)
    configuration.segmentMaxRecords = 25
    let journal = try CallRecordJournal(configuration: configuration, logger: Self.logger)
    journal.start()
    for record in records { journal.append(record, durable: nil) }
    journal.stop()
    // A torn line at the end of the last segment is skipped.
    let last = try #require(directory.journalFiles.last)
    directory.write(last, directory.read(last) + Array("0123abcd\tv3\ttorn".utf8))
    let pending = try CallRecordWriter.pendingCharges(inDirectory: directory.path)
    #expect(pending.count == 60)
    #expect(pending.map(\.uuid) == records.map(\.uuid))
    #expect(pending.map(\.charges) == records.map(\.charges))
  }

  @Test func connectionFailuresDelayButNeverDropRecords() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    table.failNextConnects(3)
    let pipeline = try Self.pipeline(directory, table)
    pipeline.start()
    let records = (0..<40).map { Records.failed($0) }
    for record in records[..<20] { pipeline.append(record, durable: nil) }
    #expect(await eventually { pipeline.counters.inserted == 20 })
    table.failNextInserts(2)
    for record in records[20...] { pipeline.append(record, durable: nil) }
    #expect(await eventually { pipeline.counters.inserted == 40 && pipeline.counters.pending == 0 })
    #expect(pipeline.stop(deadline: .now + .seconds(10)))
    #expect(table.insertOrder == records.map(\.uuid))
    let counters = pipeline.counters
    #expect(counters.connectionFailures == 5)
    #expect(counters.reconnects == 3)
  }

  @Test func aRefusedRecordIsSetAsideAndTheRestGoOn() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    let records = (0..<30).map { Records.answered($0) }
    table.refuse(records[13].uuid)
    let pipeline = try Self.pipeline(directory, table)
    pipeline.start()
    for record in records { pipeline.append(record, durable: nil) }
    #expect(await eventually { pipeline.counters.pending == 0 })
    #expect(pipeline.stop(deadline: .now + .seconds(10)))
    #expect(table.rows.count == 29)
    #expect(table.rows[records[13].uuid] == nil)
    #expect(pipeline.counters.rejected == 1 && pipeline.counters.inserted == 29)
    #expect(directory.journalFiles == [CallRecordWriter.rejectedFileName])
    let rejected = directory.read(CallRecordWriter.rejectedFileName).split(separator: UInt8(ascii: "\n"))
    #expect(rejected.count == 2)
    #expect(String(decoding: rejected[0], as: UTF8.self).hasPrefix("# refused: PostgreSQL 22P02"))
    #expect(try CallRecordLine.decode(rejected[1]) == records[13])
  }

  @Test func aReplayedSegmentInsertsNothingTwice() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    let records = (0..<15).map { Records.answered($0) }
    let segment = records.flatMap { CallRecordLine.encode($0) }
    directory.write("calls-1.journal", segment)
    directory.write("calls-2.journal", segment)  // as after a crash between commit and delete
    let pipeline = try Self.pipeline(directory, table)
    pipeline.start()
    #expect(await eventually { pipeline.counters.pending == 0 })
    #expect(pipeline.stop(deadline: .now + .seconds(10)))
    #expect(table.insertOrder == records.map(\.uuid))
    #expect(pipeline.counters.inserted == 15 && pipeline.counters.duplicates == 15)
    #expect(directory.journalFiles.isEmpty)
  }

  @Test func crashRecoverySkipsATornLineAndSetsAsideADamagedOne() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    var damaged = CallRecordLine.encode(Records.answered(1))
    damaged[30] ^= 0x02
    directory.write(
      "calls-1.journal",
      CallRecordLine.encode(Records.answered(0)) + damaged + CallRecordLine.encode(Records.answered(2))
        + CallRecordLine.encode(Records.answered(3)).prefix(77))
    let pipeline = try Self.pipeline(directory, table)
    #expect(pipeline.counters.pending == 3)
    pipeline.start()
    #expect(await eventually { pipeline.counters.pending == 0 && directory.journalFiles.count == 1 })
    #expect(pipeline.stop(deadline: .now + .seconds(10)))
    #expect(table.rows.count == 2)
    #expect(pipeline.counters.rejected == 1)
    #expect(pipeline.writer.currentCounters.tornLines == 1)
    #expect(directory.journalFiles == [CallRecordWriter.rejectedFileName])
  }

  @Test func stoppingWhileTheDatabaseIsDownKeepsTheJournal() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    table.failNextConnects(.max)
    let records = (0..<12).map { Records.failed($0) }
    do {
      let pipeline = try Self.pipeline(directory, table)
      pipeline.start()
      for record in records { pipeline.append(record, durable: nil) }
      #expect(
        await eventually { pipeline.counters.journalled == 12 && pipeline.counters.connectionFailures >= 2 })
      #expect(pipeline.stop(deadline: .now) == false)
      #expect(pipeline.counters.pending == 12)
    }
    #expect(try CallRecordJournalTests.replay(directory.path) == records)
    table.failNextConnects(0)
    let again = try Self.pipeline(directory, table)
    again.start()
    #expect(await eventually { again.counters.pending == 0 })
    #expect(again.stop(deadline: .now + .seconds(10)))
    #expect(table.insertOrder == records.map(\.uuid))
  }

  @Test func durableCallbacksRunBeforeInsertion() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let table = MemoryCallRecordTable()
    table.failNextConnects(.max)
    let pipeline = try Self.pipeline(directory, table)
    pipeline.start()
    let durable = Box(0)
    for index in 0..<5 { pipeline.append(Records.failed(index)) { durable.mutate { $0 += 1 } } }
    #expect(await eventually { durable.value == 5 })
    #expect(table.rows.isEmpty)
    #expect(pipeline.stop(deadline: .now) == false)
  }
}
