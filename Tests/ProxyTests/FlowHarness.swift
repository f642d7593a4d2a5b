import Foundation
import Logging
import Proxy
import SIPCore

final class ManualClock: ProxyClock {
  var monotonicMs: Int64 = 1_000
  var unixMs: Int64 = 1_790_000_000_000
  func advance(_ ms: Int64) {
    monotonicMs += ms
    unixMs += ms
  }
}

final class RecordingSender: MessageSender {
  struct Sent {
    let bytes: [UInt8]
    let destination: Endpoint
    var message: SIPMessage { try! SIPMessage.parse(bytes) }
    var text: String { String(decoding: bytes, as: UTF8.self) }
  }
  var sent: [Sent] = []

  func send(_ message: OutgoingMessage, to destination: Endpoint) {
    switch message {
    case .bytes(let bytes): sent.append(Sent(bytes: bytes, destination: destination))
    case .message(let message): sent.append(Sent(bytes: message.serialized(), destination: destination))
    }
  }

  func take() -> [Sent] {
    defer { sent.removeAll() }
    return sent
  }
}

/// A proxy on 127.0.0.1:5070 (UDP and TCP) with the UAC on :5090 and the next hop on :5080.
final class FlowHarness {
  static let proxyUDP = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)
  static let proxyTCP = Endpoint(transport: .tcp, host: "127.0.0.1", port: 5070)
  static let uac = Endpoint(transport: .udp, host: "127.0.0.1", port: 5090)
  static let uas = Endpoint(transport: .udp, host: "127.0.0.1", port: 5080)
  static let uas2 = Endpoint(transport: .udp, host: "127.0.0.1", port: 5081)

  let clock = ManualClock()
  let sender = RecordingSender()
  let core: ProxyCore
  let journal: MemoryCallJournal
  var ended: [CallSummary] { journal.ended }
  /// The held BYE answers, when `holdByeAnswers` is set.
  var pendingReleases: [() -> Void] {
    get { journal.pendingReleases }
    set { journal.pendingReleases = newValue }
  }

  /// - Parameter holdByeAnswers: keep each call's `release` instead of calling
  ///   it, as the journal does until the record is fsync'd.
  init(
    targets: [Endpoint] = [uas], inviteTimeoutMs: Int64 = 10_000, failoverTimeoutMs: Int64 = 0,
    call: RoutedCall? = nil, holdByeAnswers: Bool = false, router: (any CallRouter)? = nil,
    maxDialogLifetimeMs: Int64 = 14_400_000
  ) {
    let configuration = ProxyConfiguration(
      localEndpoints: [Self.proxyUDP, Self.proxyTCP], inviteTimeoutMs: inviteTimeoutMs,
      failoverTimeoutMs: failoverTimeoutMs, maxDialogLifetimeMs: maxDialogLifetimeMs)
    struct Router: CallRouter {
      let call: RoutedCall
      func route(invite: SIPMessage, source: Endpoint, context: RouteContext) -> RouteDecision {
        .route(call)
      }
    }
    let routed = call ?? RoutedCall(targets: targets.map { RouteTarget(destination: $0) })
    core = ProxyCore(
      configuration: configuration, sender: sender, clock: clock, router: router ?? Router(call: routed),
      logger: Logger(label: "test"), processTag: "t1")
    journal = MemoryCallJournal(holdByeAnswers: holdByeAnswers)
    core.journal = journal
  }

  func deliver(_ text: String, from source: Endpoint = uac, local: Endpoint = proxyUDP) {
    let bytes = Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    let decision = bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: true, source: source) }
    switch decision {
    case .request(let message), .response(let message):
      core.receive(message, from: source, local: local)
    case .reject(_, _, let response):
      sender.send(.bytes(response), to: source)
    case .drop:
      break
    }
  }

  /// Bytes exactly as they are (a torture message), as one datagram.
  func deliverBytes(_ bytes: [UInt8], from source: Endpoint = uac, local: Endpoint = proxyUDP) {
    let decision = bytes.withUnsafeBytes { InboundDecoder().decode($0, isDatagram: true, source: source) }
    switch decision {
    case .request(let message), .response(let message):
      core.receive(message, from: source, local: local)
    case .reject(_, _, let response):
      sender.send(.bytes(response), to: source)
    case .drop:
      break
    }
  }

  func advance(_ ms: Int64) {
    clock.advance(ms)
    core.tick()
  }

  // MARK: Messages

  static func invite(
    callID: String = "call-1", branch: String = "z9hG4bK-uac-1", maxForwards: Int? = 70,
    extraVia: String? = nil,
    cseq: Int = 1, body: Bool = true
  ) -> String {
    let sdp = "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 0 8\n"
    let length = body ? sdp.replacingOccurrences(of: "\n", with: "\r\n").utf8.count : 0
    var lines = [
      "INVITE sip:service@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=\(branch)",
    ]
    if let extraVia { lines.append("Via: \(extraVia)") }
    lines += [
      "From: sipp <sip:sipp@127.0.0.1:5090>;tag=uactag", "To: <sip:service@127.0.0.1:5070>",
      "Call-ID: \(callID)", "CSeq: \(cseq) INVITE", "Contact: <sip:sipp@127.0.0.1:5090>",
    ]
    if let maxForwards { lines.append("Max-Forwards: \(maxForwards)") }
    lines += ["Content-Type: application/sdp", "Content-Length: \(length)", ""]
    return lines.joined(separator: "\n") + "\n" + (body ? sdp : "")
  }

  /// A response from the UAS to the request it received (`request` as the proxy sent it).
  static func response(
    to request: SIPMessage, status: Int, reason: String, toTag: String? = "uastag", recordRoute: Bool = true
  ) -> String {
    let text = String(decoding: request.serialized(), as: UTF8.self)
    var lines = ["SIP/2.0 \(status) \(reason)"]
    for line in text.components(separatedBy: "\r\n") {
      let lower = line.lowercased()
      if lower.hasPrefix("via:") || lower.hasPrefix("from:") || lower.hasPrefix("call-id:")
        || lower.hasPrefix("cseq:") || (recordRoute && lower.hasPrefix("record-route:"))
      {
        lines.append(line)
      } else if lower.hasPrefix("to:") {
        lines.append(toTag.map { line + ";tag=\($0)" } ?? line)
      }
    }
    lines += ["Contact: <sip:service@127.0.0.1:5080>", "Content-Length: 0", "", ""]
    return lines.joined(separator: "\n")
  }

  static func inDialog(
    _ method: String, callID: String = "call-1", branch: String, fromTag: String, toTag: String,
    via: String = "SIP/2.0/UDP 127.0.0.1:5090", cseq: Int = 2, route: String? = nil
  ) -> String {
    var lines = [
      "\(method) sip:service@127.0.0.1:5080 SIP/2.0", "Via: \(via);branch=\(branch)",
      "From: <sip:a@x>;tag=\(fromTag)", "To: <sip:b@y>;tag=\(toTag)", "Call-ID: \(callID)",
      "CSeq: \(cseq) \(method)", "Max-Forwards: 70",
    ]
    if let route { lines.append("Route: \(route)") }
    lines += ["Content-Length: 0", "", ""]
    return lines.joined(separator: "\n")
  }
}
