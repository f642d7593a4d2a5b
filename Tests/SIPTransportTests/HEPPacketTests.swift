import NIOCore
import NIOPosix
import SIPCore
import Testing

@testable import SIPTransport

/// HEP v3 capture (docs/operations.md, "HEP capture"): the encoder, our own
/// decoder, round trips, and what the decoder refuses.
@Suite struct HEPPacketTests {
  static let invite = Array(
    ("INVITE sip:4420@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1\r\n"
      + "From: <sip:1@10.0.0.5>;tag=a\r\nTo: <sip:4420@127.0.0.1>\r\nCall-ID: abc-123@10.0.0.5\r\n"
      + "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").utf8)

  static func packet(v6: Bool = false, payload: [UInt8] = invite) -> HEPPacket {
    HEPPacket(
      sourceIP: v6 ? [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1] : [10, 0, 0, 5],
      destinationIP: v6 ? [UInt8](repeating: 0, count: 15) + [1] : [127, 0, 0, 1], sourcePort: 5060,
      destinationPort: 5070, ipProtocol: HEPPacket.protocolUDP, seconds: 1_790_000_000, microseconds: 123_456,
      captureID: 2001, payload: payload, correlationID: "abc-123@10.0.0.5")
  }

  @Test(arguments: [false, true]) func roundTrips(v6: Bool) throws {
    let packet = Self.packet(v6: v6)
    let bytes = try #require(packet.encoded())
    #expect(bytes.count == packet.encodedLength)
    #expect(try HEPPacket(decoding: bytes) == packet)
  }

  @Test func layoutIsHEP3WithVendorZeroChunks() throws {
    let bytes = try #require(Self.packet().encoded())
    #expect(Array(bytes[0..<4]) == Array("HEP3".utf8))
    #expect(Int(bytes[4]) << 8 | Int(bytes[5]) == bytes.count)
    // First chunk: vendor 0, type 1 (IP family), length 7, value 2 (IPv4).
    #expect(Array(bytes[6..<13]) == [0, 0, 0, 1, 0, 7, 2])
    // Second: type 2 (IP protocol), 17 (UDP).
    #expect(Array(bytes[13..<20]) == [0, 0, 0, 2, 0, 7, 17])
    // Third: type 3, IPv4 source 10.0.0.5.
    #expect(Array(bytes[20..<30]) == [0, 0, 0, 3, 0, 10, 10, 0, 0, 5])
    // The payload chunk (0x000f) holds the message as it was.
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.contains("INVITE sip:4420@127.0.0.1 SIP/2.0"))
    #expect(text.hasSuffix("abc-123@10.0.0.5"))
  }

  @Test func tooBigForSixteenBitsIsNotEncoded() {
    #expect(Self.packet(payload: [UInt8](repeating: 65, count: 65_500)).encoded() == nil)
    #expect(Self.packet(payload: [UInt8](repeating: 65, count: 65_000)).encoded() != nil)
  }

  @Test func decoderRefusesWhatIsNotAWholePacket() throws {
    let bytes = try #require(Self.packet().encoded())
    #expect(throws: HEPDecodingError.notHEP3) { try HEPPacket(decoding: Array("HEP2".utf8) + bytes[4...]) }
    #expect(throws: HEPDecodingError.lengthMismatch(said: bytes.count, got: bytes.count - 1)) {
      try HEPPacket(decoding: Array(bytes.dropLast()))
    }
    // Every truncation (with its length fixed up) fails cleanly, never reads
    // past the end; cut right before the optional correlation id it decodes without it.
    for cut in 6..<bytes.count {
      var short = Array(bytes[0..<cut])
      short[4] = UInt8(cut >> 8)
      short[5] = UInt8(cut & 0xff)
      if let decoded = try? HEPPacket(decoding: short) {
        #expect(decoded.correlationID == nil && cut == bytes.count - 6 - "abc-123@10.0.0.5".utf8.count)
      }
    }
    // A chunk of another vendor is skipped.
    var other = bytes
    other += [0x00, 0x42, 0x00, 0x01, 0x00, 0x07, 0x99]
    other[4] = UInt8(other.count >> 8)
    other[5] = UInt8(other.count & 0xff)
    #expect(try HEPPacket(decoding: other) == Self.packet())
  }

  @Test func aCopyCarriesTheCallIDAndTheAddresses() throws {
    let source = Endpoint(transport: .tcp, host: "10.0.0.5", port: 5060)
    let destination = Endpoint(transport: .tcp, host: "::1", port: 5070)
    let bytes = try #require(
      HEPCapture.packet(
        ByteBuffer(bytes: Self.invite), source: source, destination: destination, captureID: 7))
    let packet = try HEPPacket(decoding: bytes)
    #expect(packet.correlationID == "abc-123@10.0.0.5")
    #expect(packet.payload == Self.invite)
    #expect(packet.ipProtocol == HEPPacket.protocolTCP)
    #expect(packet.captureID == 7)
    #expect(packet.isIPv6)
    // IPv4 beside IPv6: IPv4-mapped.
    #expect(packet.sourceIP == [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 0, 0, 5])
    #expect(packet.destinationIP == [UInt8](repeating: 0, count: 15) + [1])
    #expect(packet.sourcePort == 5060 && packet.destinationPort == 5070)
    let compact = Array(String(decoding: Self.invite, as: UTF8.self).replacing("Call-ID:", with: "i:").utf8)
    let short = try #require(
      HEPCapture.packet(ByteBuffer(bytes: compact), source: source, destination: source, captureID: 7))
    #expect(try HEPPacket(decoding: short).correlationID == "abc-123@10.0.0.5")
  }

  @Test func aCollectorReceivesTheCopiesAndTheyDecode() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let received = Inbox<[UInt8]>(loop: group.next())
    let collector = try await DatagramBootstrap(group: group)
      .channelInitializer { channel in
        channel.pipeline.addHandler(DatagramCollector(inbox: received))
      }
      .bind(host: "127.0.0.1", port: 0).get()
    let port = try #require(collector.localAddress?.port)
    let capture = try await HEPCapture.start(
      collector: Endpoint(transport: .udp, host: "127.0.0.1", port: port), captureID: 9, queueSize: 16)
    let source = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)
    let local = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)
    capture.capture(ByteBuffer(bytes: Self.invite), source: source, destination: local)
    let bytes = try await received.next()
    let packet = try HEPPacket(decoding: bytes)
    #expect(packet.payload == Self.invite)
    #expect(packet.captureID == 9)
    #expect(packet.sourceIP == [10, 0, 0, 5] && packet.destinationPort == 5070)
    await capture.stop()
    // Counted once the socket's loop has finished the write.
    #expect(capture.counters == HEPCounters(sent: 1))
    try await collector.close()
    try await group.shutdownGracefully()
  }

  @Test func aBurstToACollectorThatIsDownIsCountedNeverQueuedBeyondTheBound() async throws {
    // A port nobody listens on: copies go out (or fail), and at most 4 wait.
    let capture = try await HEPCapture.start(
      collector: Endpoint(transport: .udp, host: "127.0.0.1", port: 9), captureID: 1, queueSize: 4)
    let source = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)
    for _ in 0..<2000 { capture.capture(ByteBuffer(bytes: Self.invite), source: source, destination: source) }
    await capture.stop()
    let counters = capture.counters
    #expect(counters.sent + counters.dropped + counters.failed == 2000)
    #expect(counters.sent >= 1)
  }
}

/// Hands each datagram's bytes to an inbox.
private final class DatagramCollector: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = AddressedEnvelope<ByteBuffer>
  let inbox: Inbox<[UInt8]>
  init(inbox: Inbox<[UInt8]>) { self.inbox = inbox }
  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    inbox.put(Array(unwrapInboundIn(data).data.readableBytesView))
  }
}
