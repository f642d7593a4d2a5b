import Foundation
import Logging
import SIPCore
import Synchronization
import Testing

@testable import Proxy

/// Overload control and unknown sources in the proxy core (docs/overload.md,
/// docs/identification.md): the load signal and the clock are injected.
@Suite struct OverloadFlowTests {
  typealias H = FlowHarness

  /// Counts the INVITEs it is asked to route; knows only `known` sources (nil: all).
  final class CountingRouter: CallRouter, @unchecked Sendable {
    var asked = 0
    let known: Set<String>?
    let refusal: Refusal?
    init(known: Set<String>? = nil, refusal: Refusal? = nil) {
      self.known = known
      self.refusal = refusal
    }
    func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
      asked += 1
      if let refusal { return .refuse(refusal) }
      return .targets([RouteTarget(destination: H.uas)])
    }
    func knowsSource(_ source: Endpoint) -> Bool { known?.contains(source.host) ?? true }
  }

  struct Setup {
    let clock = ManualClock()
    let sender = RecordingSender()
    let router: CountingRouter
    let core: ProxyCore
    let logs: LogRecorder

    init(
      _ settings: OverloadSettings, router: CountingRouter = CountingRouter(), serverHeader: String = "",
      aliases: [String] = []
    ) {
      self.router = router
      logs = LogRecorder()
      let recorder = logs
      let logger = Logger(label: "test", factory: { _ in recorder })
      core = ProxyCore(
        configuration: ProxyConfiguration(
          localEndpoints: [H.proxyUDP, H.proxyTCP], aliases: aliases, serverHeader: serverHeader,
          overload: settings),
        sender: sender, clock: clock, router: router, logger: logger, processTag: "t1")
    }

    func deliver(_ text: String, from source: Endpoint = H.uac) {
      let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
      let decision = bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: true, source: source) }
      switch decision {
      case .request(let message), .response(let message):
        core.receive(message, from: source, local: H.proxyUDP)
      case .reject, .drop:
        Issue.record("the decoder refused a test message")
      }
    }

    func advance(_ ms: Int64) {
      clock.advance(ms)
      core.tick()
    }
  }

  static let stranger = Endpoint(transport: .udp, host: "192.0.2.9", port: 5090)

  static func options(branch: String = "z9hG4bK-opt") -> String {
    [
      "OPTIONS sip:127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.9:5090;branch=\(branch)",
      "From: <sip:scan@192.0.2.9>;tag=s1", "To: <sip:127.0.0.1:5070>", "Call-ID: opt-1", "CSeq: 1 OPTIONS",
      "Max-Forwards: 70", "Content-Length: 0", "", "",
    ].joined(separator: "\n")
  }

  // MARK: Loop load

  @Test func aLaggingLoopShedsNewInvitesWith503BeforeRouting() throws {
    let s = Setup(OverloadSettings(maxLoopLagMs: 100, retryAfterSeconds: 7))
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 400) }
    #expect(s.core.overload.isOverloaded)
    s.deliver(H.invite())
    let sent = s.sender.take()
    // No 100 Trying, no routing work: one 503 with Retry-After.
    #expect(sent.map { $0.message.statusCode } == [503])
    #expect(sent.first?.destination == H.uac)
    #expect(sent.first?.message.headerValues("retry-after") == ["7"])
    #expect(s.router.asked == 0)
    #expect(s.core.overload.counters.shed[.loopLag] == 1)
    #expect(s.core.counters.invitesForwarded == 0)
  }

  @Test func datagramsWaitingTooLongInTheQueueShedNewInvitesOnly() throws {
    let s = Setup(OverloadSettings(maxLoopLagMs: 200, maxQueueDelayMs: 20))
    s.deliver(H.invite())
    let invite = try #require(s.sender.take().last?.message)
    // A flood: the loop itself runs on time, its UDP queue is 100 ms deep.
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 1, queueDelayMs: 100) }
    #expect(s.core.overload.loopCause == .queueDelay)
    s.deliver(H.invite(callID: "call-2", branch: "z9hG4bK-uac-2"))
    #expect(s.sender.take().map { $0.message.statusCode } == [503])
    // The admitted call's answer still goes through.
    s.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    #expect(s.sender.take().map { $0.message.statusCode } == [200])
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 1, queueDelayMs: 0) }
    #expect(!s.core.overload.isOverloaded)
    #expect(s.core.overload.counters.shed == [.queueDelay: 1])
    #expect(s.router.asked == 1)
  }

  @Test func aBusyLoopShedsAndRecoversWithHysteresis() {
    let s = Setup(OverloadSettings(maxLoopBusyPercent: 90))
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 0, busyPercent: 100) }
    #expect(s.core.overload.loopCause == .loopBusy)
    // Below the limit but above 3/4 of it: still shedding.
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 0, busyPercent: 80) }
    #expect(s.core.overload.isOverloaded)
    s.deliver(H.invite())
    #expect(s.sender.take().map { $0.message.statusCode } == [503])
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 0, busyPercent: 10) }
    #expect(!s.core.overload.isOverloaded)
    s.deliver(H.invite(callID: "call-2", branch: "z9hG4bK-uac-2"))
    let sent = s.sender.take()
    #expect(sent.map { $0.message.statusCode ?? 0 } == [100, 0])
    #expect(s.router.asked == 1)
    #expect(s.core.overload.counters.overloadEpisodes == 1)
  }

  @Test func inDialogRequestsAndResponsesPassWhileShedding() throws {
    let s = Setup(OverloadSettings(maxLoopLagMs: 100))
    // A call admitted before the overload.
    s.deliver(H.invite())
    let invite = try #require(s.sender.take().last?.message)
    s.deliver(H.response(to: invite, status: 180, reason: "Ringing"), from: H.uas)
    #expect(s.sender.take().map { $0.message.statusCode } == [180])
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 1_000) }
    #expect(s.core.overload.isOverloaded)
    // Its responses, ACK and BYE still go through; a new call does not.
    s.deliver(H.response(to: invite, status: 200, reason: "OK"), from: H.uas)
    #expect(s.sender.take().map { $0.message.statusCode } == [200])
    s.deliver(H.inDialog("ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1))
    #expect(s.sender.take().map { $0.destination } == [H.uas])
    s.deliver(H.invite(callID: "call-2", branch: "z9hG4bK-uac-2"))
    #expect(s.sender.take().map { $0.message.statusCode } == [503])
    s.deliver(H.inDialog("BYE", branch: "z9hG4bK-bye", fromTag: "uactag", toTag: "uastag"))
    let bye = s.sender.take()
    #expect(bye.map { $0.destination } == [H.uas])
    s.deliver(
      H.response(to: bye[0].message, status: 200, reason: "OK", toTag: nil, recordRoute: false), from: H.uas)
    #expect(s.sender.take().map { $0.message.statusCode } == [200])
    #expect(s.core.dialogCount == 0)
    #expect(s.router.asked == 1)
    #expect(s.core.overload.counters.shedTotal == 1)
  }

  @Test func aShedInvitesRetransmissionIsAbsorbedNotCountedAgain() {
    let s = Setup(OverloadSettings(maxLoopLagMs: 100))
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 400) }
    s.deliver(H.invite())
    s.deliver(H.invite())
    #expect(s.sender.take().map { $0.message.statusCode } == [503, 503])
    #expect(s.core.overload.counters.shedTotal == 1)
    #expect(s.core.counters.retransmissionsAbsorbed == 1)
  }

  @Test func cancelAndReInviteArePassedWhileNewInvitesAreLimited() throws {
    let s = Setup(OverloadSettings(maxQueueDelayMs: 20))
    // call-1 answered and acknowledged, call-2 ringing.
    s.deliver(H.invite())
    let invite1 = try #require(s.sender.take().last?.message)
    s.deliver(H.response(to: invite1, status: 200, reason: "OK"), from: H.uas)
    s.deliver(H.inDialog("ACK", branch: "z9hG4bK-ack", fromTag: "uactag", toTag: "uastag", cseq: 1))
    s.deliver(H.invite(callID: "call-2", branch: "z9hG4bK-uac-2"))
    let invite2 = try #require(s.sender.take().last { $0.destination == H.uas }?.message)
    #expect(invite2.callID == "call-2")
    s.deliver(H.response(to: invite2, status: 180, reason: "Ringing"), from: H.uas)
    _ = s.sender.take()
    for _ in 0..<40 { s.core.overload.observeLoop(lagMs: 1, queueDelayMs: 100) }
    #expect(s.core.overload.isOverloaded)
    // A new call is shed; the re-INVITE of call-1 and the CANCEL of call-2 are not.
    s.deliver(H.invite(callID: "call-3", branch: "z9hG4bK-uac-3"))
    #expect(s.sender.take().map { $0.message.statusCode } == [503])
    s.deliver(H.inDialog("INVITE", branch: "z9hG4bK-reinvite", fromTag: "uactag", toTag: "uastag", cseq: 3))
    let reinvite = s.sender.take().filter { $0.destination == H.uas }
    #expect(reinvite.map { $0.message.method } == [.invite])
    s.deliver(
      H.invite(callID: "call-2", branch: "z9hG4bK-uac-2").replacingOccurrences(of: "INVITE", with: "CANCEL"))
    let cancel = s.sender.take()
    #expect(cancel.first { $0.destination == H.uac }?.message.statusCode == 200)
    #expect(cancel.first { $0.destination == H.uas }?.message.method == .cancel)
    #expect(s.router.asked == 2)
    #expect(s.core.overload.counters.shedTotal == 1)
  }

  @Test func whileLimitedNewInvitesAreAdmittedAtTheControllersRate() throws {
    let s = Setup(OverloadSettings(maxQueueDelayMs: 20, minInvitesPerSecond: 10))
    // 500 calls per second for 0.4 s, then the queue is 100 ms deep.
    for n in 0..<200 {
      s.deliver(H.invite(callID: "a\(n)", branch: "z9hG4bK-a\(n)"))
      s.advance(2)
    }
    #expect(s.router.asked == 200)
    // Two samples: the smoothed signal just over its limit.
    for _ in 0..<2 { s.core.overload.observeLoop(lagMs: 1, queueDelayMs: 100) }
    let limit = try #require(s.core.overload.admittedRateLimit)
    // 7/8 of the rate admitted.
    #expect(limit > 400 && limit < 450, "\(limit)")
    _ = s.sender.take()
    // Still 500 per second offered, for a second: about the limit gets in, the rest get 503.
    for n in 0..<500 {
      s.deliver(H.invite(callID: "b\(n)", branch: "z9hG4bK-b\(n)"))
      s.advance(2)
    }
    let answers = s.sender.take().map(\.message).filter { $0.statusCode != nil }
    let admitted = s.router.asked - 200
    // Calls answered (the 503s are retransmitted until their ACK: timer G).
    func calls(_ status: Int) -> Int { Set(answers.filter { $0.statusCode == status }.map(\.callID)).count }
    #expect(calls(100) == admitted)
    #expect(calls(503) == 500 - admitted)
    #expect(Double(admitted) > limit * 0.95 && Double(admitted) < limit * 1.05 + 1, "\(admitted) \(limit)")
    #expect(s.core.overload.counters.shed[.queueDelay] == 500 - admitted)
  }

  // MARK: Rates

  @Test func theGlobalRateShedsPastItsTokens() {
    let s = Setup(OverloadSettings(maxInvitesPerSecond: 2))
    for n in 1...3 { s.deliver(H.invite(callID: "c\(n)", branch: "z9hG4bK-\(n)")) }
    #expect(s.router.asked == 2)
    #expect(s.core.overload.counters.shed[.globalRate] == 1)
    #expect(s.sender.take().compactMap { $0.message.statusCode }.filter { $0 == 503 }.count == 1)
    s.advance(500)
    s.deliver(H.invite(callID: "c4", branch: "z9hG4bK-4"))
    #expect(s.router.asked == 3)
  }

  @Test func thePerSourceRateShedsOnlyThatSource() {
    let s = Setup(OverloadSettings(maxInvitesPerSourcePerSecond: 1))
    let other = Endpoint(transport: .udp, host: "127.0.0.2", port: 5090)
    s.deliver(H.invite(callID: "a1", branch: "z9hG4bK-a1"))
    s.deliver(H.invite(callID: "a2", branch: "z9hG4bK-a2"))
    s.deliver(H.invite(callID: "b1", branch: "z9hG4bK-b1"), from: other)
    #expect(s.router.asked == 2)
    #expect(s.core.overload.counters.shed[.sourceRate] == 1)
  }

  // MARK: Unknown sources

  @Test func anUnknownSourcesInviteGetsOne403AndNo100Trying() throws {
    let s = Setup(
      OverloadSettings(unknownSourceRequestsPerSecond: 5), router: CountingRouter(known: ["127.0.0.1"]))
    s.deliver(H.invite(), from: Self.stranger)
    let sent = s.sender.take()
    #expect(sent.map { $0.message.statusCode } == [403])
    #expect(sent.first?.message.reasonPhrase == "Unknown Interconnect")
    #expect(s.router.asked == 0)
    // No retransmission of the 403 (timer G) however long the ACK takes.
    s.advance(40_000)
    #expect(s.sender.take().isEmpty)
    #expect(s.core.transactionCount == 0)
    // Its ACK is not forwarded anywhere.
    s.deliver(
      H.inDialog("ACK", branch: "z9hG4bK-uac-1", fromTag: "uactag", toTag: "x", cseq: 1), from: Self.stranger)
    #expect(s.sender.take().isEmpty)
    #expect(s.core.overload.counters.unknownSourceRefused == 1)
  }

  @Test func anUnknownSourceGetsAnswersOnlyWithinItsBudget() {
    let s = Setup(
      OverloadSettings(unknownSourceRequestsPerSecond: 2), router: CountingRouter(known: ["127.0.0.1"]))
    // The same INVITE five times (retransmissions): two answers, then silence.
    for _ in 0..<5 { s.deliver(H.invite(), from: Self.stranger) }
    #expect(s.sender.take().map { $0.message.statusCode } == [403, 403])
    #expect(s.core.overload.counters.unknownSourceDropped == 3)
    s.advance(1_000)
    s.deliver(H.invite(), from: Self.stranger)
    #expect(s.sender.take().map { $0.message.statusCode } == [403])
    // A known source is not affected.
    s.deliver(H.invite(callID: "k1", branch: "z9hG4bK-k1"))
    #expect(s.sender.take().first?.message.statusCode == 100)
  }

  @Test func optionsFromAnUnknownSourceGetsSilence() {
    let s = Setup(
      OverloadSettings(unknownSourceRequestsPerSecond: 5), router: CountingRouter(known: ["127.0.0.1"]))
    s.deliver(Self.options(), from: Self.stranger)
    #expect(s.sender.take().isEmpty)
    #expect(s.core.overload.counters.unknownSourceDropped == 1)
    // A known peer still gets its keepalive answered.
    s.deliver(Self.options().replacingOccurrences(of: "192.0.2.9", with: "127.0.0.1"))
    #expect(s.sender.take().map { $0.message.statusCode } == [200])
  }

  @Test func malformedRequestsOfAnUnknownSourceAreAnsweredOnlyWithinItsBudget() {
    let s = Setup(
      OverloadSettings(unknownSourceRequestsPerSecond: 2), router: CountingRouter(known: ["127.0.0.1"]))
    #expect((0..<5).map { _ in s.core.mayAnswer(Self.stranger) } == [true, true, false, false, false])
    #expect((0..<5).allSatisfy { _ in s.core.mayAnswer(H.uac) })
    s.advance(1_000)
    #expect(s.core.mayAnswer(Self.stranger))
  }

  @Test func noServerHeaderByDefaultAndTheConfiguredOneOtherwise() {
    let quiet = Setup(OverloadSettings())
    quiet.deliver(Self.options())
    let answer = quiet.sender.take()
    #expect(answer.map { $0.message.statusCode } == [200])
    #expect(answer.first?.message.headerValues("server") == [])
    let named = Setup(OverloadSettings(), serverHeader: "sbc")
    named.deliver(Self.options())
    #expect(named.sender.take().first?.message.headerValues("server") == ["sbc"])
  }

  // MARK: Logs

  @Test func refusalsOfOneSourceAreLoggedOncePerInterval() {
    let s = Setup(
      OverloadSettings(unknownSourceRequestsPerSecond: 1_000, logIntervalMs: 60_000),
      router: CountingRouter(known: ["127.0.0.1"]))
    for n in 0..<50 { s.deliver(H.invite(callID: "f\(n)", branch: "z9hG4bK-f\(n)"), from: Self.stranger) }
    #expect(s.sender.take().count == 50)
    #expect(s.logs.lines(containing: "call refused").count == 1)
    #expect(s.core.overload.counters.logLinesSuppressed == 49)
    s.advance(60_000)
    s.deliver(H.invite(callID: "g", branch: "z9hG4bK-g"), from: Self.stranger)
    let lines = s.logs.lines(containing: "call refused")
    #expect(lines.count == 2)
    #expect(lines.last?.contains("suppressed_since_last=49") == true)
  }

  @Test func messageTextInRefusalLogLinesIsEscaped() {
    let s = Setup(
      OverloadSettings(), router: CountingRouter(refusal: Refusal(status: 404, reason: "No Route")))
    var bytes = Array(H.invite(callID: "evil\u{1B}[2J").replacingOccurrences(of: "\n", with: "\r\n").utf8)
    // A Call-ID with a terminal escape sequence and a byte that is not UTF-8.
    if let at = bytes.firstIndex(of: 0x1B) { bytes.insert(0xFF, at: at) }
    let decision = bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: true, source: H.uac) }
    guard case .request(let message) = decision else {
      Issue.record("not a request: \(decision)")
      return
    }
    s.core.receive(message, from: H.uac, local: H.proxyUDP)
    let line = s.logs.lines(containing: "call refused").first ?? ""
    #expect(!line.isEmpty)
    #expect(!line.utf8.contains(0x1B))
    #expect(line.contains("\\x1B[2J"))
    #expect(!line.contains("\u{FFFD}"))
  }
}

/// Collects log lines (message and metadata as `key=value`).
final class LogRecorder: LogHandler, @unchecked Sendable {
  private let store = Mutex<[String]>([])
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    store.withLock { $0.append(([event.message.description] + fields).joined(separator: " ")) }
  }

  func lines(containing text: String) -> [String] {
    store.withLock { $0.filter { $0.contains(text) } }
  }
}
