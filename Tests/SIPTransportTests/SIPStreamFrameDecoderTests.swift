import Logging
import NIOCore
import NIOEmbedded
import NIOTestUtils
import SIPCore
import Testing

@testable import SIPTransport

/// A SIP message with the given extra header lines and body; Content-Length is
/// added unless `contentLength` is nil.
private func sipMessage(
  _ firstLine: String = "OPTIONS sip:a@example.com SIP/2.0",
  headers: [String] = [], body: String = "", contentLength: String? = "auto"
) -> String {
  var lines = [
    firstLine, "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK776", "Call-ID: c1", "CSeq: 1 OPTIONS",
  ]
  lines += headers
  if let contentLength {
    lines.append("Content-Length: " + (contentLength == "auto" ? "\(body.utf8.count)" : contentLength))
  }
  return lines.joined(separator: "\r\n") + "\r\n\r\n" + body
}

private func frame(_ text: String) -> SIPStreamFrame {
  .message(ByteBuffer(string: text))
}

/// Collects what a pipeline under test delivers; used on the test's thread only.
private final class Delivered: @unchecked Sendable {
  var messages: [InboundMessage] = []
}

/// An EmbeddedChannel with the stream pipeline of a real connection (framing,
/// keepalive answers, close on error) and the environment it reports to.
private func makeStreamChannel(maxMessageSize: Int = 65_535, messageTimeoutMs: Int64 = 5000) throws -> (
  EmbeddedChannel, TransportEnvironment, Delivered
) {
  var configuration = TransportConfiguration()
  configuration.maxMessageSize = maxMessageSize
  configuration.tcpMessageTimeoutMs = messageTimeoutMs
  let delivered = Delivered()
  let environment = TransportEnvironment(
    configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
    onMessage: { delivered.messages.append($0) })
  let channel = EmbeddedChannel()
  channel.remoteAddress = try SocketAddress(ipAddress: "192.0.2.7", port: 40_000)
  channel.localAddress = try SocketAddress(ipAddress: "192.0.2.1", port: 5060)
  try channel.pipeline.syncOperations.addHandler(
    SIPStreamFramingHandler(
      maxMessageSize: maxMessageSize, messageTimeout: .milliseconds(messageTimeoutMs),
      onTimeout: { environment.messageTimedOut(on: $0.channel) }))
  try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(environment: environment, transport: .tcp))
  try channel.connect(to: channel.remoteAddress!).wait()
  return (channel, environment, delivered)
}

/// The framing handler alone, with the default message deadline.
private func framer() -> SIPStreamFramingHandler {
  SIPStreamFramingHandler(maxMessageSize: 65_535, messageTimeout: .seconds(5))
}

/// An input that cannot be framed, and the error it must raise.
struct BadFrame: Sendable, CustomTestStringConvertible {
  var input: String
  var expected: SIPStreamFramingError
  init(_ input: String, _ expected: SIPStreamFramingError) {
    self.input = input
    self.expected = expected
  }
  var testDescription: String { "\(self.expected)" }
}

@Suite struct SIPStreamFrameDecoderTests {
  let plain = sipMessage()
  let withBody = sipMessage(
    headers: ["Content-Type: application/sdp"], body: "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n")
  /// A body holding CRLFCRLF (which must not end anything) and NUL bytes.
  let trickyBody = sipMessage(body: "a\r\n\r\nb\0\0c\r\n\r\n")
  let compact = sipMessage(headers: ["l: 4"], body: "abcd", contentLength: nil)
  let mixedCase = sipMessage(headers: ["cOnTeNt-LeNgTh \t:  3 "], body: "xyz", contentLength: nil)
  let response = sipMessage("SIP/2.0 200 OK", body: "ok")

  @Test func verifierAcceptsEveryKindOfFrame() throws {
    let pairs: [(String, [SIPStreamFrame])] = [
      (plain, [frame(plain)]),
      (withBody, [frame(withBody)]),
      (trickyBody, [frame(trickyBody)]),
      (compact, [frame(compact)]),
      (mixedCase, [frame(mixedCase)]),
      (response, [frame(response)]),
      ("\r\n\r\n", [.keepalive]),
      ("\r\n" + plain, [frame(plain)]),
      ("\r\n\r\n" + response, [.keepalive, frame(response)]),
    ]
    try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) {
      SIPStreamFrameDecoder(maxMessageSize: 4096)
    }
  }

  @Test func singleMessage() throws {
    let channel = EmbeddedChannel(handler: framer())
    try channel.writeInbound(ByteBuffer(string: withBody))
    #expect(try channel.readInbound(as: SIPStreamFrame.self) == frame(withBody))
    #expect(try channel.readInbound(as: SIPStreamFrame.self) == nil)
    #expect(try channel.finish().isClean)
  }

  @Test func twoPipelinedMessagesInOneRead() throws {
    let channel = EmbeddedChannel(handler: framer())
    try channel.writeInbound(ByteBuffer(string: plain + trickyBody))
    #expect(try channel.readInbound(as: SIPStreamFrame.self) == frame(plain))
    #expect(try channel.readInbound(as: SIPStreamFrame.self) == frame(trickyBody))
    #expect(try channel.readInbound(as: SIPStreamFrame.self) == nil)
  }

  @Test func messageSplitByteByByte() throws {
    let channel = EmbeddedChannel(handler: framer())
    let bytes = Array(trickyBody.utf8)
    for byte in bytes.dropLast() {
      try channel.writeInbound(ByteBuffer(bytes: [byte]))
      #expect(try channel.readInbound(as: SIPStreamFrame.self) == nil)
    }
    try channel.writeInbound(ByteBuffer(bytes: [bytes.last!]))
    #expect(try channel.readInbound(as: SIPStreamFrame.self) == frame(trickyBody))
  }

  @Test func duplicateEqualContentLengthsAndFoldedLinesAreFine() throws {
    let message = sipMessage(headers: ["Subject: a", " Content-Length: 99", "l:2"], body: "hi")
    var decoder = SIPStreamFrameDecoder()
    var buffer = ByteBuffer(string: message)
    #expect(try decoder.decode(buffer: &buffer) == frame(message))
    #expect(buffer.readableBytes == 0)
  }

  @Test func leadingCRLFsAreSkipped() throws {
    var decoder = SIPStreamFrameDecoder()
    var buffer = ByteBuffer(string: "\r\n")
    #expect(try decoder.decode(buffer: &buffer) == nil)  // may still become a ping
    buffer.writeString(plain)
    #expect(try decoder.decode(buffer: &buffer) == frame(plain))
    #expect(buffer.readableBytes == 0)
  }

  @Test func keepaliveIsAnsweredWithOneCRLF() throws {
    let (channel, environment, delivered) = try makeStreamChannel()
    try channel.writeInbound(ByteBuffer(string: "\r\n\r\n"))
    #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "\r\n"))
    #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    #expect(delivered.messages.isEmpty)

    // Between messages, a ping is answered and the messages around it are delivered.
    try channel.writeInbound(ByteBuffer(string: plain + "\r\n\r\n" + response))
    #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "\r\n"))
    #expect(delivered.messages.map(\.bytes) == [ByteBuffer(string: plain), ByteBuffer(string: response)])
    #expect(delivered.messages.first?.source == Endpoint(transport: .tcp, host: "192.0.2.7", port: 40_000))
    #expect(delivered.messages.first?.local == Endpoint(transport: .tcp, host: "192.0.2.1", port: 5060))
    #expect(environment.counters.withLockedValue { $0.keepalivesAnswered } == 2)
    #expect(environment.counters.withLockedValue { $0.framesReceived } == 2)
    #expect(channel.isActive)
  }

  static let huge = sipMessage(contentLength: "70000")
  static let absurd = sipMessage(contentLength: "99999999999999999999999")
  static let badFrames: [BadFrame] = [
    BadFrame(sipMessage(body: "abc", contentLength: nil), .missingContentLength),
    BadFrame(sipMessage(body: "abc", contentLength: "-999"), .invalidContentLength("-999")),
    BadFrame(sipMessage(body: "abc", contentLength: "12abc"), .invalidContentLength("12abc")),
    BadFrame(sipMessage(body: "abc", contentLength: ""), .invalidContentLength("")),
    BadFrame(
      sipMessage(headers: ["Content-Length: 13"], body: "abcde", contentLength: "5"),
      .conflictingContentLength(13, 5)),
    BadFrame(huge, .messageTooLarge(size: huge.utf8.count + 70_000, limit: 1024)),
    // Absurd values are capped, so no arithmetic overflows.
    BadFrame(
      absurd,
      .messageTooLarge(size: absurd.utf8.count + SIPStreamFrameDecoder.contentLengthCeiling, limit: 1024)),
    BadFrame(sipMessage(headers: [String(repeating: "X", count: 2000)]), .headerTooLarge(limit: 1024)),
    BadFrame(String(repeating: "Y", count: 1024), .headerTooLarge(limit: 1024)),
  ]

  @Test(arguments: badFrames)
  func unrecoverableFramingClosesTheConnection(_ bad: BadFrame) throws {
    let (input, expected) = (bad.input, bad.expected)
    var decoder = SIPStreamFrameDecoder(maxMessageSize: 1024)
    var buffer = ByteBuffer(string: input)
    #expect(throws: expected) { _ = try decoder.decode(buffer: &buffer) }

    let (channel, environment, delivered) = try makeStreamChannel(maxMessageSize: 1024)
    try channel.writeInbound(ByteBuffer(string: plain))  // a good frame first
    try channel.writeInbound(ByteBuffer(string: input))
    #expect(!channel.isActive)
    #expect(delivered.messages.count == 1)
    #expect(environment.counters.withLockedValue { $0.framingErrors } == 1)
  }

  @Test func idleConnectionIsClosed() throws {
    let (channel, _, _) = try makeStreamChannel()
    channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
    #expect(!channel.isActive)
  }

  @Test func headerBlockJustUnderTheLimitStillWaits() throws {
    var decoder = SIPStreamFrameDecoder(maxMessageSize: 1024)
    var buffer = ByteBuffer(string: String(repeating: "Y", count: 1023))
    #expect(try decoder.decode(buffer: &buffer) == nil)
  }
}

/// Every message must be complete within the deadline from its first byte
/// (issue 15 #6: slowloris, a declared body never sent). Time is the
/// EmbeddedEventLoop's: advanced by the test, nothing sleeps.
@Suite struct SIPStreamMessageDeadlineTests {
  let plain = sipMessage()

  private func timeouts(_ environment: TransportEnvironment) -> Int {
    environment.counters.withLockedValue { $0.tcpMessageTimeouts }
  }

  @Test func aHeaderTrickledOneByteASecondIsClosedAtTheDeadline() throws {
    let (channel, environment, delivered) = try makeStreamChannel(messageTimeoutMs: 5000)
    var bytes = Array(plain.utf8).makeIterator()
    // Four seconds of trickle: every byte would restart an idle timer, not this one.
    for _ in 0..<5 {
      try channel.writeInbound(ByteBuffer(bytes: [bytes.next()!]))
      channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
    }
    #expect(channel.isActive)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(6))
    #expect(!channel.isActive)
    #expect(timeouts(environment) == 1)
    #expect(delivered.messages.isEmpty)
  }

  @Test func aDeclaredBodyNeverSentIsClosedAtTheDeadline() throws {
    let (channel, environment, _) = try makeStreamChannel(messageTimeoutMs: 5000)
    let header = sipMessage(contentLength: "65000")
    try channel.writeInbound(ByteBuffer(string: header + "v=0"))
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(4999))
    #expect(channel.isActive)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
    #expect(!channel.isActive)
    #expect(timeouts(environment) == 1)
  }

  @Test func aCompleteMessageStopsTheClockAndTheNextOneStartsItsOwn() throws {
    let (channel, environment, delivered) = try makeStreamChannel(messageTimeoutMs: 5000)
    let bytes = Array(plain.utf8)
    let half = bytes.count / 2
    // The first message completes at 4 s; the second starts in the same read.
    try channel.writeInbound(ByteBuffer(bytes: bytes[..<half]))
    channel.embeddedEventLoop.advanceTime(by: .seconds(4))
    try channel.writeInbound(ByteBuffer(bytes: bytes[half...] + bytes[..<half]))
    #expect(delivered.messages.count == 1)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(4999))
    #expect(channel.isActive)
    try channel.writeInbound(ByteBuffer(bytes: bytes[half...]))
    #expect(delivered.messages.count == 2)
    // Between messages there is no deadline (the idle timeout governs).
    channel.embeddedEventLoop.advanceTime(by: .seconds(60))
    #expect(channel.isActive)
    // Keepalives complete at once and start nothing.
    try channel.writeInbound(ByteBuffer(string: "\r\n\r\n"))
    channel.embeddedEventLoop.advanceTime(by: .seconds(60))
    #expect(channel.isActive)
    #expect(timeouts(environment) == 0)
  }

  @Test func aPartialMessageLeftAtCloseArmsNothing() throws {
    let (channel, environment, _) = try makeStreamChannel(messageTimeoutMs: 5000)
    try channel.writeInbound(ByteBuffer(string: "OPTIONS sip:a@exa"))
    try channel.close().wait()
    channel.embeddedEventLoop.advanceTime(by: .seconds(10))
    #expect(timeouts(environment) == 0)
  }
}
