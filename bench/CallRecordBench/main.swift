// call-record-bench: records per second through the never-lose-a-record
// path (CallRecordJournal, fsync'd; CallRecordWriter, batched idempotent
// inserts) into a real PostgreSQL with its default synchronous_commit = on.
//
//   swift build -c release --product call-record-bench
//   .build/release/call-record-bench --database-url postgresql://postgres@127.0.0.1:5432/postgres
//
// It creates a scratch database on that server (dropped at the end), applies
// the migrations (--migrations, default ./Migrations or the Store test
// fixtures), and measures three things, each with its own fresh journal:
//   journal   append N records from one thread, until every one is fsync'd
//   writer    replay those N journalled records into PostgreSQL (per method)
//   pipeline  append N records and wait until all are committed (journal +
//             writer at once, the production shape)

import Billing
import Glibc
import Logging
import Store

struct Options {
  var databaseURL = ""
  var records = 200_000
  var batchSize = 500
  var migrations = ""
  var phases: Set<String> = ["journal", "writer", "pipeline"]

  init(_ arguments: [String]) {
    var iterator = arguments.dropFirst().makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--database-url": databaseURL = iterator.next() ?? ""
      case "--records": records = Int(iterator.next() ?? "") ?? records
      case "--batch-size": batchSize = Int(iterator.next() ?? "") ?? batchSize
      case "--migrations": migrations = iterator.next() ?? ""
      case "--phases": phases = Set((iterator.next() ?? "").split(separator: ",").map(String.init))
      default:
        fail("unknown argument \(argument)")
      }
    }
    if databaseURL.isEmpty { fail("--database-url is required") }
    if migrations.isEmpty {
      migrations = isDirectory("Migrations") ? "Migrations" : "Tests/StoreTests/Fixtures/Migrations"
    }
  }
}

func fail(_ message: String) -> Never {
  let line = Array("call-record-bench: \(message)\n".utf8)
  _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
  exit(1)
}

func isDirectory(_ path: String) -> Bool {
  var status = stat()
  return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
}

func temporaryDirectory() -> String {
  var template = Array("/tmp/didtron-cdr-bench-XXXXXX".utf8CString)
  return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

func removeDirectory(_ path: String) {
  guard let directory = opendir(path) else { return }
  while let entry = readdir(directory) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) {
      String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
    }
    if name != "." && name != ".." { unlink(path + "/" + name) }
  }
  closedir(directory)
  rmdir(path)
}

/// `url` with its database replaced (URI path, or a conninfo `dbname=`).
func url(_ url: String, database: String) -> String {
  guard let scheme = url.firstRange(of: "://") else { return url + " dbname=" + database }
  let rest = url[scheme.upperBound...]
  let query = rest.firstIndex(of: "?")
  let authorityEnd = rest[..<(query ?? rest.endIndex)].firstIndex(of: "/") ?? query ?? rest.endIndex
  return String(url[..<authorityEnd]) + "/" + database + String(url[(query ?? url.endIndex)...])
}

func record(_ index: Int) -> CallRecord {
  func hex(_ value: UInt64, _ digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
  }
  let random = UInt64.random(in: 0...UInt64.max)
  let uuid =
    hex(random >> 32, 8) + "-" + hex(random >> 16 & 0xFFFF, 4) + "-4" + hex(random & 0xFFF, 3) + "-8"
    + hex(UInt64(index) & 0xFFF, 3) + "-" + hex(UInt64(index), 12)
  return CallRecord(
    uuid: uuid, direction: .outbound, fromNumber: "493012345\(index % 1000)",
    toNumber: "4989555\(index % 10000)",
    originalFromNumber: "+493012345\(index % 1000)", originalToNumber: "004989555\(index % 10000)",
    status: .completed, durationSeconds: Int64(index % 600), callSID: "\(index)-bench@10.0.0.1",
    startedUnixMs: 1_709_251_199_999, answeredUnixMs: 1_709_251_203_000, endedUnixMs: 1_709_251_264_000,
    ingressCarrierID: "6f1c1e9e-3c1b-4e8a-9d0e-1a2b3c4d5e6f",
    ingressInterconnectID: "7f1c1e9e-3c1b-4e8a-9d0e-1a2b3c4d5e6f",
    egressCarrierID: "8f1c1e9e-3c1b-4e8a-9d0e-1a2b3c4d5e6f",
    egressInterconnectID: "9f1c1e9e-3c1b-4e8a-9d0e-1a2b3c4d5e6f",
    sipStatus: 200, routesTried: 1, sourceAddress: "192.0.2.10:5060", destinationAddress: "198.51.100.7:5060",
    endedBy: "caller")
}

/// Polls `condition` every millisecond until it holds (or 10 minutes pass).
func waitFor(_ condition: () -> Bool) {
  let deadline = ContinuousClock.now + .seconds(600)
  while !condition() {
    if ContinuousClock.now > deadline { fail("timed out") }
    var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
    nanosleep(&pause, nil)
  }
}

func rate(_ count: Int, _ elapsed: Duration) -> String {
  let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  return "\(Int(Double(count) / seconds)) records/s (\(count) in \(Int(seconds * 1000)) ms)"
}

let options = Options(CommandLine.arguments)
var logger = Logger(label: "call-record-bench")
logger.logLevel = .warning
let clock = ContinuousClock()

let scratch = "didtron_bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
do {
  let admin = try PGConnection(url: options.databaseURL)
  try admin.execute(script: "CREATE DATABASE \(scratch)")
} catch { fail("cannot create the scratch database: \(error)") }
let databaseURL = url(options.databaseURL, database: scratch)
defer {
  _ = try? PGConnection(url: options.databaseURL).execute(script: "DROP DATABASE \(scratch) WITH (FORCE)")
}

do {
  try MigrationRunner(directory: options.migrations).run(databaseURL: databaseURL)
  let settings = try PGConnection(url: databaseURL)
  let synchronousCommit = try settings.query("SHOW synchronous_commit").string(0, 0) ?? "?"
  let fsync = try settings.query("SHOW fsync").string(0, 0) ?? "?"
  print(
    "PostgreSQL \(settings.serverVersion), synchronous_commit=\(synchronousCommit), fsync=\(fsync); "
      + "\(options.records) records, batch \(options.batchSize)")

  let records = (0..<options.records).map(record)

  // 1. Journal alone.
  let journalDirectory = temporaryDirectory()
  defer { removeDirectory(journalDirectory) }
  do {
    let journal = try CallRecordJournal(configuration: .init(directory: journalDirectory), logger: logger)
    journal.start()
    let start = clock.now
    for record in records { journal.append(record, durable: nil) }
    let appended = clock.now
    waitFor { journal.currentCounters.journalled == options.records }
    let durable = clock.now
    journal.stop()
    print("journal   append: \(rate(options.records, appended - start))")
    print("journal   fsync'd: \(rate(options.records, durable - start))")
  }

  // 2. Writer alone, replaying that journal, once per method (the segments are copied back).
  var segments: [(String, [UInt8])] = []
  for segment in try JournalSegment.all(in: journalDirectory) {
    let fd = open(segment.path, O_RDONLY)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      bytes += chunk[0..<n]
    }
    close(fd)
    segments.append((segment.path, bytes))
  }
  for method in PostgresCallRecordStore.Method.allCases where options.phases.contains("writer") {
    try PGConnection(url: databaseURL).execute(script: "TRUNCATE calls")
    for (path, bytes) in segments {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
      _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      close(fd)
    }
    let writer = try CallRecordWriter(
      configuration: .init(directory: journalDirectory, batchSize: options.batchSize), liveSequence: nil,
      databaseURL: databaseURL, method: method, logger: logger)
    let start = clock.now
    writer.start()
    waitFor { writer.currentCounters.pending == 0 }
    let elapsed = clock.now - start
    writer.flushAndStop(deadline: .now + .seconds(10))
    let inserted = writer.currentCounters.inserted
    if inserted != options.records { fail("writer inserted \(inserted), expected \(options.records)") }
    print("writer    \(method.rawValue): \(rate(options.records, elapsed))")
  }

  // 3. The pipeline: journal and writer together (COPY), as the daemon runs it.
  if options.phases.contains("pipeline") {
    try PGConnection(url: databaseURL).execute(script: "TRUNCATE calls")
    let pipelineDirectory = temporaryDirectory()
    defer { removeDirectory(pipelineDirectory) }
    let pipeline = try CallRecordPipeline(
      journalDirectory: pipelineDirectory, databaseURL: databaseURL, batchSize: options.batchSize,
      logger: logger)
    pipeline.start()
    let start = clock.now
    for record in records { pipeline.append(record, durable: nil) }
    waitFor { pipeline.counters.journalled == options.records }
    let journalled = clock.now
    waitFor { pipeline.counters.inserted == options.records }
    let inserted = clock.now
    pipeline.stop(deadline: .now + .seconds(10))
    let rows = try PGConnection(url: databaseURL).query("SELECT count(*) FROM calls").string(0, 0) ?? "?"
    print("pipeline  fsync'd: \(rate(options.records, journalled - start))")
    print("pipeline  committed: \(rate(options.records, inserted - start)); rows in calls: \(rows)")
  }
} catch {
  fail("\(error)")
}
