// proxy-bench: the proxy core's CPU per call without sockets, kernel or
// event loop. Whole zero-hold calls (INVITE, 100, 180, 200, ACK, BYE, 200,
// as bench/scenarios send them) go through what the daemon runs per
// message: `InboundDecoder` (framing, one libosip2 parse, checks) and
// `ProxyCore` (proxy mode, one next hop), with every outgoing message
// serialized as the transport would. The UAC and UAS sides are built
// outside the timed sections; timers are ticked every 10 ms of a virtual
// clock as the daemon does.
//
//     swift run -c release proxy-bench [calls] [rounds]
//
// Prints µs per call (each round's total of the timed sections, best and
// median round), i.e. the proxy's user-space share of the CPU per call.
//
//     swift run -c release proxy-bench [calls] [rounds] shed|shed-stateless
//
// measures a shed call instead: the INVITE refused with 503 and its ACK,
// through `InboundReceiver` as the daemon's core delivers them. `shed`: a
// global rate of 1 per second sheds all but the first, through the full
// path (a parse and a server transaction); `shed-stateless`: the loop's
// load sheds them (an episode started by one overloaded sample), with the
// 503 built from the bytes (`ProxyCore.answerStatelessly`).
import Foundation
import Logging
import Proxy
import SIPCore

final class VirtualClock: ProxyClock {
  var monotonicMs: Int64 = 1_000
  var unixMs: Int64 = 1_790_000_000_000
}

/// Serializes what the core sends (as `TransportSender` does) and keeps the last message per destination.
final class Collector: MessageSender {
  var last: [Endpoint: [UInt8]] = [:]
  var sent = 0
  func send(_ message: OutgoingMessage, to destination: Endpoint) {
    let bytes: [UInt8]
    switch message {
    case .message(let message): bytes = message.serialized()
    case .bytes(let raw): bytes = raw
    }
    sent += 1
    last[destination] = bytes
  }
}

let proxy = Endpoint(transport: .udp, host: "127.0.0.1", port: 5070)
let uac = Endpoint(transport: .udp, host: "127.0.0.1", port: 5090)
let uas = Endpoint(transport: .udp, host: "127.0.0.1", port: 5080)

func lines(_ bytes: [UInt8]) -> [String] {
  var out: [String] = []
  var start = 0
  for index in bytes.indices where index > 0 && bytes[index] == 10 && bytes[index - 1] == 13 {
    out.append(String(decoding: bytes[start..<(index - 1)], as: UTF8.self))
    start = index + 1
    if index + 2 < bytes.count, bytes[index + 1] == 13, bytes[index + 2] == 10 { break }  // the headers' end
  }
  return out
}

/// A response of the UAS to `request` (as forwarded by the proxy), Record-Route copied.
func response(to request: [UInt8], status: String, toTag: String, sdp: Bool) -> [UInt8] {
  var out = ["SIP/2.0 \(status)"]
  for line in lines(request) {
    let lower = line.lowercased()
    if lower.hasPrefix("via:") || lower.hasPrefix("record-route:") || lower.hasPrefix("from:")
      || lower.hasPrefix("call-id:") || lower.hasPrefix("cseq:")
    {
      out.append(line)
    } else if lower.hasPrefix("to:") {
      out.append(line.contains(";tag=") ? line : line + ";tag=\(toTag)")
    }
  }
  out.append("Contact: <sip:uas@127.0.0.1:5080;transport=udp>")
  let body =
    sdp
    ? "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=live\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    : ""
  if sdp { out.append("Content-Type: application/sdp") }
  out.append("Content-Length: \(body.utf8.count)")
  return Array((out.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
}

func invite(_ n: Int) -> [UInt8] {
  let sdp =
    "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
  let text = [
    "INVITE sip:15551234@127.0.0.1:5070 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-\(n)-1-0",
    "Max-Forwards: 70",
    "From: \"live uac\" <sip:uac@127.0.0.1:5090>;tag=\(n)-a",
    "To: <sip:15551234@127.0.0.1:5070>",
    "Call-ID: \(n)-bench@127.0.0.1",
    "CSeq: 1 INVITE",
    "Contact: <sip:uac@127.0.0.1:5090;transport=udp>",
    "Content-Type: application/sdp",
    "Content-Length: \(sdp.utf8.count)",
  ].joined(separator: "\r\n")
  return Array((text + "\r\n\r\n" + sdp).utf8)
}

/// ACK or BYE from the UAC through the route set (the 200's Record-Route).
func inDialog(_ method: String, _ n: Int, ok: [UInt8], cseq: Int) -> [UInt8] {
  var routes: [String] = []
  var to = ""
  for line in lines(ok) {
    let lower = line.lowercased()
    if lower.hasPrefix("record-route:") { routes.append("Route:" + line.dropFirst("record-route:".count)) }
    if lower.hasPrefix("to:") { to = line }
  }
  let text =
    ([
      "\(method) sip:uas@127.0.0.1:5080;transport=udp SIP/2.0",
      "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-\(n)-\(cseq)-\(method)",
      "Max-Forwards: 70",
      "From: \"live uac\" <sip:uac@127.0.0.1:5090>;tag=\(n)-a",
      to,
      "Call-ID: \(n)-bench@127.0.0.1",
      "CSeq: \(cseq) \(method)",
    ] + routes + ["Content-Length: 0"]).joined(separator: "\r\n")
  return Array((text + "\r\n\r\n").utf8)
}

/// The UAC's ACK of a 503 (RFC 3261 §17.1.1.3: the INVITE's branch, the 503's To).
func shedAck(_ n: Int, refusal: [UInt8]) -> [UInt8] {
  let to = lines(refusal).first { $0.lowercased().hasPrefix("to:") } ?? ""
  let text = [
    "ACK sip:15551234@127.0.0.1:5070 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-\(n)-1-0",
    "Max-Forwards: 70",
    "From: \"live uac\" <sip:uac@127.0.0.1:5090>;tag=\(n)-a",
    to,
    "Call-ID: \(n)-bench@127.0.0.1",
    "CSeq: 1 ACK",
    "Content-Length: 0",
  ].joined(separator: "\r\n")
  return Array((text + "\r\n\r\n").utf8)
}

let arguments = CommandLine.arguments
let calls = arguments.count > 1 ? Int(arguments[1]) ?? 20_000 : 20_000
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let shedMode = arguments.count > 3 && arguments[3].hasPrefix("shed")
let stateless = arguments.count > 3 && arguments[3] == "shed-stateless"
let callsPerTick = 20  // 2000 calls/s on the virtual clock
var logger = Logger(label: "bench")
logger.logLevel = .notice  // as the benchmarks run the daemon: no line per call

var results: [Double] = []
for round in 0..<rounds {
  let clock = VirtualClock()
  let collector = Collector()
  let core = ProxyCore(
    configuration: ProxyConfiguration(
      localEndpoints: [proxy],
      overload: OverloadSettings(maxQueueDelayMs: 10, maxInvitesPerSecond: shedMode && !stateless ? 1 : 0)),
    sender: collector, clock: clock,
    router: NextHopRouter(nextHop: uas), logger: logger, processTag: "bench")
  let decoder = InboundDecoder()
  var elapsed = Duration.zero
  let clockNow = ContinuousClock()

  func deliver(_ bytes: [UInt8], from source: Endpoint) {
    let started = clockNow.now
    let decision = bytes.withUnsafeBytes { decoder.decode($0, isDatagram: true, source: source) }
    switch decision {
    case .request(let message), .response(let message): core.receive(message, from: source, local: proxy)
    case .reject, .drop: fatalError("the bench's own message was refused: \(decision)")
    }
    elapsed += clockNow.now - started
  }

  let receiver = InboundReceiver(proxy: core, decoder: decoder)
  if stateless {
    core.overload.observeLoop(lagMs: 0, queueDelayMs: 1000)  // an episode starts, with no token yet
  } else if shedMode {
    // The first INVITE takes the one token; it stays unanswered (Timer C ends it).
    deliver(invite(-1 - round), from: uac)
  }
  for n in 0..<calls where shedMode {
    let id = round * calls + n
    let started = clockNow.now
    invite(id).withUnsafeBytes { receiver.receiveNewCall($0, from: uac, local: proxy) }
    elapsed += clockNow.now - started
    let refusal = collector.last[uac]!
    let ack = shedAck(id, refusal: refusal)
    let ackStarted = clockNow.now
    ack.withUnsafeBytes { receiver.receive($0, from: uac, local: proxy) }
    elapsed += clockNow.now - ackStarted
    if n % callsPerTick == callsPerTick - 1 {
      // The virtual clock stands still (the rate's token stays taken), but the timers are ticked.
      let started = clockNow.now
      core.tick()
      elapsed += clockNow.now - started
    }
  }
  for n in 0..<calls where !shedMode {
    let id = round * calls + n
    deliver(invite(id), from: uac)
    let forwarded = collector.last[uas]!
    deliver(response(to: forwarded, status: "180 Ringing", toTag: "\(id)-b", sdp: false), from: uas)
    deliver(response(to: forwarded, status: "200 OK", toTag: "\(id)-b", sdp: true), from: uas)
    let ok = collector.last[uac]!
    deliver(inDialog("ACK", id, ok: ok, cseq: 1), from: uac)
    deliver(inDialog("BYE", id, ok: ok, cseq: 2), from: uac)
    let bye = collector.last[uas]!
    deliver(response(to: bye, status: "200 OK", toTag: "", sdp: false), from: uas)
    if n % callsPerTick == callsPerTick - 1 {
      clock.monotonicMs += 10
      clock.unixMs += 10
      let started = clockNow.now
      core.tick()
      elapsed += clockNow.now - started
    }
  }
  // Let every transaction end (timers K, J, L, M), still on the virtual clock.
  for _ in 0..<4000 {
    clock.monotonicMs += 10
    let started = clockNow.now
    core.tick()
    elapsed += clockNow.now - started
  }
  precondition(
    !shedMode || core.overload.counters.shedTotal == calls, "shed: \(core.overload.counters.shedTotal)")
  precondition(
    !stateless || core.overload.counters.statelessAcksAbsorbed == calls,
    "ACKs absorbed: \(core.overload.counters.statelessAcksAbsorbed)")
  precondition(
    shedMode || core.counters.callsEnded == calls, "calls ended: \(core.counters.callsEnded) of \(calls)")
  // Shed mode: the first INVITE's transactions may still wait for Timers B and H.
  precondition(core.transactionCount <= (shedMode ? 2 : 0), "transactions left: \(core.transactionCount)")
  let microsPerCall =
    (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(calls)
  results.append(microsPerCall)
  print(
    String(format: "round %d: %.1f µs per call (%d messages sent)", round + 1, microsPerCall, collector.sent))
}
let sorted = results.sorted()
print(
  String(
    format: "proxy-bench: %d calls x %d rounds: best %.1f µs per call, median %.1f", calls, rounds, sorted[0],
    sorted[sorted.count / 2]))
