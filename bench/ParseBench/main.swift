// parse-bench: the event-loop CPU one inbound message costs before anyone
// knows who sent it. Each input (the costly datagrams of issue 15 and their
// relatives, every one at most 65,535 bytes: one UDP datagram, or one TCP
// frame at the default maxMessageSize) goes through what the daemon runs
// per message: `InboundDecoder.decode` (framing, the limits scan, one
// libosip2 parse, the RFC 3261 §8.2 checks) and, when the request is passed
// on, what the proxy core reads and writes on it (Via, Call-ID, CSeq, tags,
// Contact, Route, Max-Forwards, generic headers, body; a Via and a
// Record-Route added; serialized once).
//
//     swift build -c release --product parse-bench
//     .build/release/parse-bench [--budget-ms N] [--seeds DIR]
//
// Prints, per input, its size, the decision and the thread CPU time per
// message in µs (median of repeated runs; at least one run, more until the
// budget of CPU per input is spent), and beside it what overload control
// reads from the bytes of a new call before any parse while it sheds
// (`NewCallSniff`, the stateless 503's `RawSIPHead` scan, `RawTopVia` and
// the 503 built from the bytes; docs/overload.md); `-` for inputs over the
// 8 KB the proxy answers that way (`ProxyCore.statelessMaxBytes`: larger
// ones take the full path). `--seeds DIR` writes every input to DIR
// as a fuzzing seed (scripts/fuzz) and exits.
import Foundation
import SIPCore

let source = Endpoint(transport: .udp, host: "192.0.2.7", port: 5062)
let maxDatagram = 65_535

func cpuMicroseconds() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
  return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
}

/// An INVITE with `extra` header lines (CRLF-terminated) after the usual
/// ones; a usual header whose name starts a line of `extra` is left out.
func invite(
  requestURI: String = "sip:15551234@192.0.2.1", extra: String, body: String = "", contentType: String = ""
)
  -> [UInt8]
{
  let usual = [
    "Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-bench-1;rport", "Max-Forwards: 70",
    "From: <sip:alice@192.0.2.7>;tag=a1", "To: <sip:15551234@192.0.2.1>", "Call-ID: bench-1@192.0.2.7",
    "CSeq: 1 INVITE", "Contact: <sip:alice@192.0.2.7:5062>",
  ]
  var text = "INVITE \(requestURI) SIP/2.0\r\n"
  for line in usual {
    let name = line[..<line.firstIndex(of: ":")!]
    if extra.hasPrefix(name + ":") || extra.contains("\r\n" + name + ":") { continue }
    text += line + "\r\n"
  }
  text += extra
  if !contentType.isEmpty { text += "Content-Type: \(contentType)\r\n" }
  text += "Content-Length: \(body.utf8.count)\r\n\r\n"
  text += body
  return Array(text.utf8)
}

/// `prefix` + as many `item`s joined by `separator` as fit, with `suffix`,
/// in an INVITE of at most one datagram.
func filling(_ prefix: String, _ item: String, _ separator: String, _ suffix: String = "\r\n") -> [UInt8] {
  let base = invite(extra: prefix + suffix).count
  let room = maxDatagram - base
  let count = max(1, (room + separator.utf8.count) / (item.utf8.count + separator.utf8.count))
  let list = Array(repeating: item, count: count).joined(separator: separator)
  return invite(extra: prefix + list + suffix)
}

let sdp = """
  v=0\r
  o=alice 1 1 IN IP4 192.0.2.7\r
  s=-\r
  c=IN IP4 192.0.2.7\r
  t=0 0\r
  m=audio 4000 RTP/AVP 0 8 101\r
  a=rtpmap:0 PCMU/8000\r
  a=rtpmap:8 PCMA/8000\r
  a=rtpmap:101 telephone-event/8000\r

  """

func multipart(parts: Int) -> [UInt8] {
  var body = ""
  for _ in 0..<parts { body += "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" }
  body += "--b--\r\n"
  return invite(extra: "", body: body, contentType: "multipart/mixed;boundary=\"b\"")
}

/// An SDP offer with `lines` attribute lines (the proxy reads every SDP offer and answer).
func longSDP(lines: Int) -> String {
  "v=0\r\no=a 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    + String(repeating: "a=x\r\n", count: lines)
}

func atCaps(vias: Int) -> [UInt8] {
  let via = "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2" + String(repeating: ";p", count: 62) + "\r\n"
  return invite(extra: String(repeating: via, count: vias))
}

func atCaps() -> [UInt8] {
  // 64 values on one line, 64 parameters on one Via, and fields up to 256 in all.
  var extra = "Supported: " + Array(repeating: "x", count: 64).joined(separator: ",") + "\r\n"
  extra += "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2" + String(repeating: ";p", count: 63) + "\r\n"
  for index in 0..<(256 - 8 - 64 - 1 - 1) { extra += "X-H\(index): v\r\n" }
  return invite(extra: extra)
}

let inputs: [(String, [UInt8])] = [
  (
    "ordinary INVITE with SDP",
    invite(extra: "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n", body: sdp, contentType: "application/sdp")
  ),
  ("at the caps (256 fields, 64 values, 64 params)", atCaps()),
  ("at the caps: 16 Vias of 64 params", atCaps(vias: 16)),
  (
    "at the caps: Request-URI of 64 params",
    invite(requestURI: "sip:1@h" + String(repeating: ";p", count: 64), extra: "")
  ),
  ("Supported: 32k items", filling("Supported: ", "x", ",")),
  ("Via with 32k params", filling("Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2", "", ";p")),
  ("13k header lines", filling("", "a:b", "\r\n")),
  ("Via: 5k values", filling("Via: ", "SIP/2.0/UDP h", ",")),
  ("Route: 6k entries", filling("Route: ", "<sip:h;lr>", ",")),
  ("Record-Route: 6k entries", filling("Record-Route: ", "<sip:h;lr>", ",")),
  ("Contact: 6k entries", filling("Contact: ", "<sip:a@h>", ",")),
  ("Accept: 16k types", filling("Accept: ", "a/b", ",")),
  ("Allow: 16k methods", filling("Allow: ", "X", ",")),
  ("Proxy-Require: 16k tags", filling("Proxy-Require: ", "x", ",")),
  (
    "Request-URI with 32k params",
    invite(requestURI: "sip:1@h" + String(repeating: ";p", count: 30_000), extra: "")
  ),
  ("Contact URI with 16k headers", filling("Contact: <sip:a@h?x=1", "y=1", "&", ">\r\n")),
  ("To with 32k params", filling("To: <sip:b@h>", "", ";p")),
  ("Contact with 32k params", filling("Contact: <sip:a@h>", "", ";p")),
  ("Content-Type with 32k params", filling("Content-Type: application/sdp", "", ";p")),
  ("Authorization with 8k params", filling("Authorization: Digest username=\"a\"", "p=1", ",")),
  ("64 KB Subject", filling("Subject: ", "x", "")),
  ("64 KB From display name", filling("From: \"", "x", "", "\" <sip:a@h>;tag=2\r\n")),
  ("64 KB Call-ID", filling("Call-ID: ", "x", "")),
  ("64 KB of folded lines", filling("Subject: x", "\r\n y", "")),
  ("64 KB of backslashes in quotes", filling("From: \"", "\\\\", "", "\" <sip:a@h>;tag=2\r\n")),
  ("multipart, 1.5k parts", multipart(parts: 1_500)),
  ("SDP body of 10k lines", invite(extra: "", body: longSDP(lines: 10_000), contentType: "application/sdp")),
].map { name, bytes in (name, Array(bytes.prefix(maxDatagram))) }

func describe(_ decision: InboundDecision) -> String {
  switch decision {
  case .request: "request"
  case .response: "response"
  case .reject(let status, let reason, _): "\(status) \(reason)"
  case .drop(let reason): "drop (\(reason))"
  }
}

/// What the proxy core reads and writes on a request it accepts.
func proxyPath(_ message: SIPMessage) -> Int {
  var work = message.viaCount + message.routeCount + message.recordRouteCount
  work += message.topVia?.branch?.count ?? 0
  work += message.callID?.count ?? 0
  work += Int(message.cseq?.number ?? 0)
  work += (message.fromTag?.count ?? 0) + (message.toTag?.count ?? 0)
  work += message.contactURI?.host?.count ?? 0
  work += message.topRoute?.host?.count ?? 0
  work += message.maxForwards ?? 0
  work += message.requestURI?.parameters.count ?? 0
  work += message.headerValues("supported").count + message.privacyTokens.count
  work += message.acceptedTypes.count + message.recordRouteValues.count
  if let body = message.body { work += body.count + (SessionDescription(bytes: body)?.media.count ?? 0) }
  message.setTopViaSource(source)
  message.prependVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-proxy-1")
  message.prependRecordRoute("<sip:192.0.2.1:5060;lr>")
  message.setMaxForwards(69)
  message.setRequestURI("sip:15551234@192.0.2.50:5060")
  return work + message.serialized().count
}

/// The stateless 503's raw reads and build (`ProxyCore.answerStatelessly` without the proxy).
func overloadPath(_ bytes: [UInt8]) -> Int {
  bytes.withUnsafeBytes { raw in
    var work = NewCallSniff.mayStartCall(raw) ? 1 : 0
    work += StatelessReplyTag.isAckOfStatelessReply(raw) ? 1 : 0
    let head = RawSIPHead(scanning: raw)
    if let top = head.vias.first, let via = RawTopVia(raw[top]) { work += via.sentBy.count }
    let response = SIPResponseBuilder.response(
      to: raw, head: head, status: 503, reason: "Service Unavailable", toTag: "sl-0000000000000000",
      source: source, extraHeaders: [("Retry-After", "5")])
    return work + (response?.count ?? 0)
  }
}

func median(_ budgetMs: Double, _ body: () -> Int) -> (Double, Int) {
  var samples: [Double] = []
  var spent = 0.0
  var sink = 0
  repeat {
    let start = cpuMicroseconds()
    sink &+= body()
    let elapsed = cpuMicroseconds() - start
    samples.append(elapsed)
    spent += elapsed
  } while spent < budgetMs * 1000 && samples.count < 20_000
  samples.sort()
  return (samples[samples.count / 2], sink)
}

func run(_ bytes: [UInt8]) -> (InboundDecision, Int) {
  let decoder = InboundDecoder()
  let decision = bytes.withUnsafeBytes { decoder.decode($0, isDatagram: true, source: source) }
  if case .request(let message) = decision { return (decision, proxyPath(message)) }
  return (decision, 0)
}

var arguments = CommandLine.arguments.dropFirst()
var budgetMs = 300.0
while let argument = arguments.popFirst() {
  switch argument {
  case "--budget-ms": budgetMs = Double(arguments.popFirst() ?? "") ?? budgetMs
  case "--seeds":
    let directory = arguments.popFirst() ?? "seeds"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for (index, (_, bytes)) in inputs.enumerated() {
      FileManager.default.createFile(atPath: "\(directory)/costly-\(index).sip", contents: Data(bytes))
    }
    print("wrote \(inputs.count) seeds to \(directory)")
    exit(0)
  default:
    print("usage: parse-bench [--budget-ms N] [--seeds DIR]")
    exit(2)
  }
}

print(
  "input".padding(toLength: 48, withPad: " ", startingAt: 0),
  "bytes".padding(toLength: 6, withPad: " ", startingAt: 0),
  "µs/msg".padding(toLength: 11, withPad: " ", startingAt: 0),
  "overload µs".padding(toLength: 12, withPad: " ", startingAt: 0), "decision")
for (name, bytes) in inputs {
  var samples: [Double] = []
  var spent = 0.0
  var decision: InboundDecision = .drop(reason: "")
  var sink = 0
  repeat {
    let start = cpuMicroseconds()
    let (result, work) = run(bytes)
    let elapsed = cpuMicroseconds() - start
    decision = result
    sink &+= work
    samples.append(elapsed)
    spent += elapsed
  } while spent < budgetMs * 1000 && samples.count < 20_000
  samples.sort()
  let middle = samples[samples.count / 2]
  let (raw, rawSink) = bytes.count <= 8_192 ? median(budgetMs / 4) { overloadPath(bytes) } : (-1, 0)
  print(
    name.padding(toLength: 48, withPad: " ", startingAt: 0),
    String(bytes.count).padding(toLength: 6, withPad: " ", startingAt: 0),
    String(format: "%10.1f", middle), "",
    raw < 0 ? "          -" : String(format: "%11.1f", raw), "", describe(decision),
    sink &+ rawSink == 42 ? "" : "")
}
