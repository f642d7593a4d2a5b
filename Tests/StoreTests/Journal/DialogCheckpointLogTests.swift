import Logging
import Testing

@testable import Store

@Suite("DialogCheckpointLog: live-call checkpoints that survive a crash")
struct DialogCheckpointLogTests {
  static let logger = Logger(label: "test.checkpoints")

  static func log(
    _ directory: TemporaryDirectory, open: [DialogCheckpointLog.Entry] = [], compactAt: Int? = nil
  )
    throws -> DialogCheckpointLog
  {
    var configuration = DialogCheckpointLog.Configuration(directory: directory.path)
    if let compactAt { configuration.compactAtBytes = compactAt }
    let log = try DialogCheckpointLog(configuration: configuration, open: open, logger: logger)
    log.start()
    return log
  }

  static func entry(_ index: Int) -> DialogCheckpointLog.Entry {
    DialogCheckpointLog.Entry(id: "call-\(index)", text: "dc1\tid=call-\(index)\tfu=caller \(index)")
  }

  @Test func openCheckpointsAreDurableAndClosedOnesAreGone() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let log = try Self.log(directory)
    let durable = Box(0)
    for index in 0..<10 {
      log.open(id: Self.entry(index).id, text: Self.entry(index).text) { durable.mutate { $0 += 1 } }
    }
    #expect(await eventually { durable.value == 10 })
    for index in [1, 3, 5, 7, 9] { log.close(id: "call-\(index)") }
    log.close(id: "never-opened")
    log.stop()
    let recovery = try DialogCheckpointLog.recover(directory: directory.path)
    #expect(recovery.open == [0, 2, 4, 6, 8].map(Self.entry))
    #expect(recovery.damagedLines == 0)
    // A close of an id that was never open writes nothing.
    #expect(
      !String(decoding: directory.read(DialogCheckpointLog.fileName), as: UTF8.self).contains("never-opened"))
  }

  @Test func aCheckpointEncodedOnTheLogsThreadIsWrittenAsEncoded() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let log = try Self.log(directory)
    let durable = Box(0)
    let encodedOn = Box<[String]>([])
    for index in 0..<3 {
      let entry = Self.entry(index)
      log.open(
        id: entry.id,
        encode: {
          encodedOn.mutate { $0.append(entry.id) }
          return entry.text
        }
      ) { durable.mutate { $0 += 1 } }
    }
    #expect(await eventually { durable.value == 3 })
    log.stop()
    // Each text was made once, before its checkpoint counted as durable.
    #expect(encodedOn.value.sorted() == ["call-0", "call-1", "call-2"])
    #expect(try DialogCheckpointLog.recover(directory: directory.path).open == (0..<3).map(Self.entry))
  }

  @Test func aTornLastLineAndADamagedLineAreSkipped() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let log = try Self.log(directory)
    for index in 0..<3 { log.open(id: Self.entry(index).id, text: Self.entry(index).text) {} }
    log.stop()
    var bytes = directory.read(DialogCheckpointLog.fileName)
    let firstLineEnd = bytes.firstIndex(of: UInt8(ascii: "\n"))!
    bytes[firstLineEnd - 1] ^= 0x01  // damage call-0's line
    bytes += Array("0badf00d\tO\tcall-9\tdc1".utf8)  // torn: no line feed
    directory.write(DialogCheckpointLog.fileName, bytes)
    let recovery = try DialogCheckpointLog.recover(directory: directory.path)
    #expect(recovery.open.map(\.id) == ["call-1", "call-2"])
    #expect(recovery.damagedLines == 2)
  }

  @Test func aNewLogKeepsExactlyTheCheckpointsItTakesOver() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let first = try Self.log(directory)
    for index in 0..<4 { first.open(id: Self.entry(index).id, text: Self.entry(index).text) {} }
    first.stop()
    let taken = Array(try DialogCheckpointLog.recover(directory: directory.path).open.prefix(2))
    let second = try Self.log(directory, open: taken)
    second.stop()
    #expect(Set(try DialogCheckpointLog.recover(directory: directory.path).open) == Set(taken))
    #expect(directory.files.filter { $0.hasSuffix(".new") }.isEmpty)
  }

  @Test func theLogIsCompactedToTheOpenCheckpoints() async throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let log = try Self.log(directory, compactAt: 4096)
    let durable = Box(0)
    for index in 0..<200 {
      log.open(id: Self.entry(index).id, text: Self.entry(index).text) { durable.mutate { $0 += 1 } }
      if index >= 5 { log.close(id: Self.entry(index - 5).id) }
    }
    #expect(await eventually { durable.value == 200 && log.openCount == 5 })
    log.stop()
    #expect(directory.read(DialogCheckpointLog.fileName).count < 8192)
    let recovery = try DialogCheckpointLog.recover(directory: directory.path)
    #expect(Set(recovery.open) == Set((195..<200).map(Self.entry)))
  }

  @Test func anOpenAfterStopIsAnsweredAtOnce() throws {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let log = try Self.log(directory)
    log.stop()
    let durable = Box(false)
    log.open(id: "late", text: "dc1") { durable.mutate { $0 = true } }
    #expect(durable.value)
  }

  @Test func recordedCallsOnlyAcceptsUUIDs() {
    #expect(UUIDText.isValid("4bccc673-9587-4c56-81d6-b1e87889b45e"))
    #expect(!UUIDText.isValid("4bccc673-9587-4c56-81d6-b1e87889b45"))
    #expect(!UUIDText.isValid("4bccc673x9587-4c56-81d6-b1e87889b45e"))
    #expect(!UUIDText.isValid("call-1"))
  }
}
