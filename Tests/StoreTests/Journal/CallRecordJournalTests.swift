import Billing
import Logging
import Testing

@testable import Store

@Suite("CallRecordJournal: segments, durability callbacks, replay order")
struct CallRecordJournalTests {
  static let logger = Logger(label: "test.journal")

  /// Every record of every segment of `directory`, in replay order.
  static func replay(_ directory: String) throws -> [CallRecord] {
    var records: [CallRecord] = []
    for segment in try JournalSegment.all(in: directory) {
      let reader = try JournalSegmentReader(segment: segment)
      for entry in try reader.entries(upTo: reader.size(), maxEntries: .max) {
        guard case .record(let record) = entry.content else { Issue.record("damaged line"); continue }
        records.append(record)
      }
    }
    return records
  }

  @Test func appendsAreDurableInOrderAcrossRotatedSegments() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    var configuration = CallRecordJournal.Configuration(directory: directory.path)
    configuration.segmentMaxRecords = 7
    configuration.maxBatchRecords = 5
    let journal = try CallRecordJournal(configuration: configuration, logger: Self.logger)
    let progress = Box<[CallRecordJournal.Progress]>([])
    journal.setProgressObserver { p in progress.mutate { $0.append(p) } }
    journal.start()
    let durable = Box(0)
    let records = (0..<50).map { Records.answered($0) }
    for record in records { journal.append(record) { durable.mutate { $0 += 1 } } }
    #expect(await eventually { durable.value == 50 })
    journal.stop()

    let counters = journal.currentCounters
    #expect(counters.appended == 50 && counters.journalled == 50 && counters.buffered == 0)
    #expect(try Self.replay(directory.path) == records)
    let segments = try JournalSegment.all(in: directory.path)
    #expect(segments.count >= 8)  // at most 7 records each
    #expect(segments.first?.sequence == 1)
    #expect(directory.journalFiles.allSatisfy { $0.hasPrefix("calls-") && $0.hasSuffix(".journal") })
    // Every segment was published sealed, with the size it has on disk.
    let sealed = progress.value.filter(\.sealed)
    #expect(sealed.map(\.segment) == segments)
    for seal in sealed {
      #expect(
        directory.read(String(seal.segment.path.split(separator: "/").last!)).count == seal.durableBytes)
    }
    #expect(sealed.map(\.durableRecords).reduce(0, +) == 50)
  }

  @Test func aNewJournalNeverWritesIntoOldSegments() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    directory.write("calls-9.journal", CallRecordLine.encode(Records.failed(9)))
    directory.write("calls-000000000010.journal", CallRecordLine.encode(Records.failed(10)))
    let journal = try CallRecordJournal(
      configuration: .init(directory: directory.path), logger: Self.logger)
    #expect(journal.firstSequence == 11)
    journal.append(Records.failed(11), durable: nil)
    journal.stop()  // never started: written synchronously
    #expect(try JournalSegment.all(in: directory.path).map(\.sequence) == [9, 10, 11])
    #expect(try Self.replay(directory.path).map(\.callSID) == ["sid-9", "sid-10", "sid-11"])
  }

  @Test func oneJournalPerDirectory() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    do {
      let first = try CallRecordJournal(configuration: .init(directory: directory.path), logger: Self.logger)
      #expect(throws: FileSystemError.self) {
        try CallRecordJournal(configuration: .init(directory: directory.path), logger: Self.logger)
      }
      first.stop()
    }
    // Released with the journal.
    _ = try CallRecordJournal(configuration: .init(directory: directory.path), logger: Self.logger)
  }

  @Test func segmentsReplayInNumericOrder() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    for sequence in [100, 2, 10, 1, 9] {
      directory.write("calls-\(sequence).journal", CallRecordLine.encode(Records.failed(sequence)))
    }
    directory.write("rejected.journal", CallRecordLine.encode(Records.failed(-1)))
    directory.write("calls-x.journal", [])
    directory.write("README", [])
    #expect(try JournalSegment.all(in: directory.path).map(\.sequence) == [1, 2, 9, 10, 100])
    #expect(
      try Self.replay(directory.path).map(\.callSID) == ["sid-1", "sid-2", "sid-9", "sid-10", "sid-100"])
    #expect(JournalSegment.fileName(42) == "calls-000000000042.journal")
  }

  @Test func aTornLastLineIsNotReadAsARecord() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let whole = CallRecordLine.encode(Records.answered(1)) + CallRecordLine.encode(Records.answered(2))
    let torn = Array(CallRecordLine.encode(Records.answered(3)).prefix(100))
    directory.write(JournalSegment.fileName(1), whole + torn)
    let reader = try JournalSegmentReader(segment: JournalSegment(sequence: 1, directory: directory.path))
    let entries = try reader.entries(upTo: reader.size(), maxEntries: 100)
    #expect(entries.count == 2)
    #expect(entries.last?.end == whole.count)
    #expect(try reader.tailLength(limit: reader.size()) == 100)
    #expect(try reader.lineCount(limit: reader.size()) == 2)
  }

  @Test func aDamagedLineInTheMiddleIsReportedAndReadingGoesOn() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    var damaged = Array(CallRecordLine.encode(Records.answered(2)))
    damaged[20] ^= 0x01
    directory.write(
      JournalSegment.fileName(1),
      CallRecordLine.encode(Records.answered(1)) + damaged + CallRecordLine.encode(Records.answered(3)))
    let reader = try JournalSegmentReader(segment: JournalSegment(sequence: 1, directory: directory.path))
    let entries = try reader.entries(upTo: reader.size(), maxEntries: 100)
    #expect(entries.count == 3)
    guard case .damaged(_, let error) = entries[1].content else {
      Issue.record("expected a damaged line")
      return
    }
    #expect(error == .checksumMismatch)
  }

  @Test func readingStopsAtTheDurableLimitAndResumes() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let lines = (0..<10).map { CallRecordLine.encode(Records.failed($0)) }
    directory.write(JournalSegment.fileName(1), lines.flatMap { $0 })
    var reader = try JournalSegmentReader(segment: JournalSegment(sequence: 1, directory: directory.path))
    let limit = lines[0..<6].map(\.count).reduce(0, +)
    let first = try reader.entries(upTo: limit, maxEntries: 4)
    #expect(first.count == 4)
    reader.offset = first.last!.end
    let second = try reader.entries(upTo: limit, maxEntries: 4)
    #expect(second.count == 2)
    #expect(second.last?.end == limit)
  }
}
