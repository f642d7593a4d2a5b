import Logging
import NIOCore
import NIOEmbedded
import Proxy
import SIPCore
import SIPTransport
import Testing

@testable import SwitchDaemon

/// The core loop's entry (`SwitchCore`): responses and in-dialog requests
/// are handled as they come, new INVITEs and CANCELs after them, oldest
/// first (docs/overload.md, "What waits").
@Suite struct SwitchCorePriorityTests {
  static let proxy = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)
  static let uac = Endpoint(transport: .udp, host: "127.0.0.1", port: 5090)
  static let uas = Endpoint(transport: .udp, host: "127.0.0.1", port: 5080)

  final class Recorder: MessageSender {
    var sent: [String] = []
    func send(_ message: OutgoingMessage, to destination: Endpoint) {
      switch message {
      case .bytes(let bytes): sent.append(String(decoding: bytes, as: UTF8.self))
      case .message(let message): sent.append(String(decoding: message.serialized(), as: UTF8.self))
      }
    }
    /// The CSeq method and, for a response, its status, of each message sent.
    var summary: [String] {
      sent.map { text in
        let cseq = text.split(separator: "\r\n").first { $0.hasPrefix("CSeq:") } ?? ""
        let method = cseq.split(separator: " ").last.map(String.init) ?? "?"
        return text.hasPrefix("SIP/2.0 ") ? "\(method) \(text.split(separator: " ")[1])" : method
      }
    }
  }

  static func request(_ method: String, callID: String, toTag: String? = nil, branch: String)
    -> InboundMessage
  {
    let to = "To: <sip:service@127.0.0.1:5070>" + (toTag.map { ";tag=\($0)" } ?? "")
    let text = [
      "\(method) sip:service@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=\(branch)",
      "From: <sip:sipp@127.0.0.1:5090>;tag=uactag", to, "Call-ID: \(callID)", "CSeq: 1 \(method)",
      "Contact: <sip:sipp@127.0.0.1:5090>", "Max-Forwards: 70", "Content-Length: 0", "", "",
    ].joined(separator: "\r\n")
    return InboundMessage(bytes: ByteBuffer(string: text), source: uac, local: proxy)
  }

  static func makeCore(loop: EmbeddedEventLoop, recorder: Recorder) -> SwitchCore {
    let proxy = ProxyCore(
      configuration: ProxyConfiguration(localEndpoints: [Self.proxy]), sender: recorder,
      clock: SystemProxyClock(), router: NextHopRouter(nextHop: Self.uas),
      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), processTag: "t")
    return SwitchCore(loop: loop, inbound: InboundReceiver(proxy: proxy, decoder: InboundDecoder()))
  }

  @Test func anInDialogRequestGoesBeforeTheNewCallsReadWithIt() throws {
    let loop = EmbeddedEventLoop()
    let recorder = Recorder()
    let core = Self.makeCore(loop: loop, recorder: recorder)
    // One read's worth: two new INVITEs, then a BYE of a dialog the switch
    // does not know, then a CANCEL.
    core.receive(Self.request("INVITE", callID: "a", branch: "z9hG4bK-a"))
    core.receive(Self.request("INVITE", callID: "b", branch: "z9hG4bK-b"))
    core.receive(Self.request("BYE", callID: "x", toTag: "t1", branch: "z9hG4bK-x"))
    core.receive(Self.request("CANCEL", callID: "a", branch: "z9hG4bK-a"))
    // The BYE is answered while the new calls wait.
    #expect(recorder.summary == ["BYE 481"])
    #expect(core.newCalls.count == 3)
    // Then the new calls, oldest first: each INVITE's 100 Trying and its
    // forward, then the CANCEL of the first (answered 200) after its INVITE.
    // A turn lasts 1 ms at most; the next comes after a pause for reads.
    loop.run()
    for _ in 0..<10 where !core.newCalls.isEmpty { loop.advanceTime(by: SwitchCore.drainPause) }
    #expect(core.newCalls.isEmpty)
    let after = Array(recorder.summary.dropFirst())
    #expect(after.prefix(4) == ["INVITE 100", "INVITE", "INVITE 100", "INVITE"])
    #expect(after.dropFirst(4).first == "CANCEL 200")
  }

  @Test func aReInviteIsNotANewCall() {
    let loop = EmbeddedEventLoop()
    let recorder = Recorder()
    let core = Self.makeCore(loop: loop, recorder: recorder)
    core.receive(Self.request("INVITE", callID: "x", toTag: "t1", branch: "z9hG4bK-x"))
    #expect(core.newCalls.isEmpty)
    #expect(!recorder.sent.isEmpty)
  }
}
