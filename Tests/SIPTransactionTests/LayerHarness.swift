import SIPCore
import SIPTransaction

/// Lines joined with "\n" as written in the tests, on the wire with CRLF.
func wire(_ text: String) -> [UInt8] {
  Array(text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n").utf8)
}

/// The transaction layer alone, with no proxy: a recording sender, a user
/// that records every report, and one `TimerWheel` on a virtual clock.
final class LayerHarness {
  static let peer = Endpoint(transport: .udp, host: "127.0.0.1", port: 5090)
  static let local = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)
  static let tcpPeer = Endpoint(transport: .tcp, host: "127.0.0.1", port: 5090)
  static let next = Endpoint(transport: .udp, host: "127.0.0.1", port: 5080)

  final class Sender: MessageSender {
    var sent: [(bytes: [UInt8], destination: Endpoint)] = []
    func send(_ message: OutgoingMessage, to destination: Endpoint) {
      switch message {
      case .bytes(let bytes): sent.append((bytes, destination))
      case .message(let message): sent.append((message.serialized(), destination))
      }
    }
    /// The start lines sent so far (and forgets them).
    func take() -> [String] {
      defer { sent.removeAll() }
      return sent.map {
        String(decoding: $0.bytes, as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? ""
      }
    }
  }

  /// Records what the layer reports; adds a server transaction for every new request.
  final class User: TransactionUser {
    unowned(unsafe) var layer: TransactionLayer!
    var log: [String] = []
    var servers: [ServerTransaction] = []
    /// What the user does when a client transaction's deadline passes (the proxy gives it up).
    let terminateAtDeadline = true
    /// What the user answers when a server transaction's deadline passes (nil: nothing).
    var answerAtDeadline: (status: Int, reason: String)?

    func requestArrived(
      _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint,
      local: Endpoint
    ) {
      log.append("request \(method)")
      guard method != .ack else { return }
      let server = ServerTransaction(
        machine: ServerTransactionMachine(
          invite: method == .invite, reliable: source.transport.isReliable, timers: layer.configuration.timers
        ),
        key: key, responseDestination: TransactionLayer.responseDestination(source: source, via: via),
        source: source, requestBytes: request.originalBytes)
      layer.add(server)
      servers.append(server)
    }
    func responseArrived(_ response: SIPMessage, on transaction: ClientTransaction) {
      log.append("response \(response.statusCode)")
    }
    func strayResponseArrived(_ response: SIPMessage, branch: String, method: String) {
      log.append("stray \(response.statusCode) \(branch) \(method)")
    }
    func timedOut(_ transaction: ClientTransaction) { log.append("timed out") }
    func transportFailed(_ transaction: ClientTransaction) { log.append("transport failed") }
    func deadlinePassed(_ transaction: ClientTransaction) {
      log.append("client deadline")
      if terminateAtDeadline { layer.terminate(transaction) }
    }
    func deadlinePassed(_ transaction: ServerTransaction) {
      log.append("server deadline")
      if let (status, reason) = answerAtDeadline {
        layer.respond(
          transaction, bytes: LayerHarness.responseBytes(status, reason, method: "INVITE"), status: status)
      }
    }
    func terminated(_ transaction: ServerTransaction) { log.append("server terminated") }
    func terminated(_ transaction: ClientTransaction) { log.append("client terminated") }
  }

  let wheel = TimerWheel<TransactionTimerEvent>(nowMs: 0)
  let sender = Sender()
  let user = User()
  let layer: TransactionLayer

  init(inviteTimeoutMs: Int64 = 180_000) {
    layer = TransactionLayer(
      configuration: .init(timers: .rfc3261, inviteTimeoutMs: inviteTimeoutMs), sender: sender,
      scheduler: wheel)
    layer.user = user
    user.layer = layer
  }

  var nowMs: Int64 { wheel.nowMs }

  /// Moves the virtual clock on by `ms`, firing every timer due on the way in order.
  func advance(_ ms: Int64) {
    let target = wheel.nowMs + ms
    while let next = wheel.nextDeadlineMs, next <= target {
      for event in wheel.expire(nowMs: next) { layer.fire(event) }
    }
    _ = wheel.expire(nowMs: target)
  }

  func deliver(_ text: String, from source: Endpoint = peer) {
    let message = try! SIPMessage.parse(wire(text))
    if message.isRequest {
      layer.receive(message, method: message.method!, via: message.topVia!, source: source, local: Self.local)
    } else {
      layer.receive(message)
    }
  }

  /// A client transaction for `method` to `next`, registered and started.
  @discardableResult
  func startClient(_ method: String, branch: String = "z9hG4bK-out-1") -> ClientTransaction {
    let text = Self.request(method, branch: branch, via: "SIP/2.0/UDP 127.0.0.1:5070")
    let client = ClientTransaction(
      machine: ClientTransactionMachine(invite: method == "INVITE", reliable: false, timers: .rfc3261),
      key: .client(branch: branch, method: method), branch: branch, destination: Self.next,
      request: wire(text))
    layer.register(client)
    layer.start(client)
    return client
  }

  static func request(
    _ method: String, branch: String = "z9hG4bK-in-1", via: String = "SIP/2.0/UDP 127.0.0.1:5090",
    cseqMethod: String? = nil
  ) -> String {
    [
      "\(method) sip:b@127.0.0.1:5080 SIP/2.0", "Via: \(via);branch=\(branch)", "Max-Forwards: 70",
      "From: <sip:a@127.0.0.1>;tag=atag", "To: <sip:b@127.0.0.1>", "Call-ID: layer-1",
      "CSeq: 1 \(cseqMethod ?? method)", "Content-Length: 0", "", "",
    ].joined(separator: "\n")
  }

  static func response(_ status: Int, _ reason: String, branch: String = "z9hG4bK-out-1", method: String)
    -> String
  {
    [
      "SIP/2.0 \(status) \(reason)", "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=\(branch)",
      "From: <sip:a@127.0.0.1>;tag=atag", "To: <sip:b@127.0.0.1>;tag=btag", "Call-ID: layer-1",
      "CSeq: 1 \(method)", "Content-Length: 0", "", "",
    ].joined(separator: "\n")
  }

  /// Response bytes for a server transaction (what a TU would build).
  static func responseBytes(_ status: Int, _ reason: String, method: String) -> [UInt8] {
    wire(response(status, reason, branch: "z9hG4bK-in-1", method: method))
  }
}
