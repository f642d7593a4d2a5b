import NIOCore
import SIPCore
import SIPTransport
import Testing

@testable import SwitchDaemon

/// The core's queue of new INVITEs and CANCELs (docs/overload.md, "What waits").
@Suite struct NewCallQueueTests {
  static func message(_ text: String, port: Int = 5060) -> InboundMessage {
    InboundMessage(
      bytes: ByteBuffer(string: text), source: Endpoint(transport: .udp, host: "192.0.2.1", port: port),
      local: Endpoint(transport: .udp, host: "192.0.2.9", port: 5060))
  }

  @Test func oldestFirstAndItsAgeIsTheWait() throws {
    var queue = NewCallQueue(capacity: 8)
    #expect(queue.headAgeNs(nowNs: 5_000) == 0)
    queue.append(Self.message("first"), nowNs: 1_000)
    queue.append(Self.message("second"), nowNs: 2_000)
    #expect(queue.count == 2)
    #expect(queue.headAgeNs(nowNs: 5_000) == 4_000)
    let popped = queue.popFirst()
    let first = try #require(popped)
    #expect(String(buffer: first.message.bytes) == "first")
    #expect(first.arrivedNs == 1_000)
    #expect(queue.headAgeNs(nowNs: 5_000) == 3_000)
    let second = queue.popFirst()
    #expect(second.map { String(buffer: $0.message.bytes) } == "second")
    #expect(queue.isEmpty)
    #expect(queue.popFirst() == nil)
  }

  @Test func aFullQueueDropsItsOldestAndCountsIt() throws {
    var queue = NewCallQueue(capacity: 2)
    for port in 1...5 { queue.append(Self.message("INVITE", port: port), nowNs: Int64(port)) }
    #expect(queue.count == 2)
    #expect(queue.dropped == 3)
    let oldest = queue.popFirst()
    #expect(oldest?.message.source.port == 4)
  }

  @Test func theBytesAreCopiedOutOfTheReadBuffer() throws {
    // A datagram is a slice of its recvmmsg read's buffer: the queue must own its bytes.
    var read = ByteBuffer(string: "INVITE aaaa|INVITE bbbb")
    let slice = try #require(read.getSlice(at: 0, length: 11))
    var queue = NewCallQueue(capacity: 4)
    let template = Self.message("")
    queue.append(InboundMessage(bytes: slice, source: template.source, local: template.local), nowNs: 0)
    let popped = queue.popFirst()
    let entry = try #require(popped)
    #expect(String(buffer: entry.message.bytes) == "INVITE aaaa")
    #expect(entry.message.bytes.capacity < read.capacity)
    read.setString("XXXXXXXXXXX", at: 0)
    #expect(String(buffer: entry.message.bytes) == "INVITE aaaa")
  }
}
