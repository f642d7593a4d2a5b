// auth-throttle-bench: what the brute-force throttle costs the core loop
// (docs/registrar.md "Brute force").
//
//   swift build -c release --product auth-throttle-bench
//   .build/release/auth-throttle-bench [--requests 200000] [--entries 10000] [--users 1000]
//
// Times, per request (user-space, one thread, no sockets):
// - `admit` for a source the throttle has never seen (every honest REGISTER);
// - `admit` for a blocked source (the drop path an attacker meets);
// - `recordFailure` from a new source each time, the table at its cap (a
//   spoofed-source flood: eviction included);
// - `Registrar.register` with a wrong password (401, new challenge) and the
//   same request once its source is blocked (dropped), MD5.
// and the resident memory that --entries sources and as many users add.

import Digest
import Glibc
import Proxy
import SIPCore

var requests = 200_000
var entries = 10_000
var users = 1_000
var iterator = CommandLine.arguments.dropFirst().makeIterator()
while let argument = iterator.next() {
  switch argument {
  case "--requests": requests = max(1, Int(iterator.next() ?? "") ?? requests)
  case "--entries": entries = max(16, Int(iterator.next() ?? "") ?? entries)
  case "--users": users = max(1, Int(iterator.next() ?? "") ?? users)
  default:
    print("auth-throttle-bench: unknown argument \(argument)")
    exit(2)
  }
}

func residentBytes() -> Int {
  guard let file = fopen("/proc/self/statm", "r") else { return 0 }
  defer { fclose(file) }
  var line = [CChar](repeating: 0, count: 256)
  guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
  let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    .split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
  return pages * sysconf(Int32(_SC_PAGESIZE))
}

func host(_ index: Int) -> String { "10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)" }

let clock = ContinuousClock()
func measure(_ name: String, _ count: Int, _ body: (Int) -> Void) {
  let started = clock.now
  for index in 0..<count { body(index) }
  let elapsed = clock.now - started
  let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
  let perRequest = ns / Double(count)
  print("  \(name): \(Int(perRequest.rounded())) ns per request (\(count) requests)")
}

let hosts = (0..<requests).map(host)
print("auth-throttle-bench: \(requests) requests, table cap \(entries)")

let throttle = AuthenticationThrottle(configuration: .init(capacity: entries))
measure("admit, unknown source", requests) {
  _ = throttle.admit(host: hosts[$0], user: "alice", nowMs: 1_000)
}
for _ in 0..<5 { throttle.recordFailure(host: "203.0.113.9", user: "alice", nowMs: 1_000) }
measure("admit, blocked source (dropped)", requests) { _ in
  _ = throttle.admit(host: "203.0.113.9", user: "x", nowMs: 2_000)
}
measure("recordFailure, new source each time, table at its cap", requests) {
  throttle.recordFailure(host: hosts[$0], user: "u\($0 % users)", nowMs: 3_000)
}
print("  entries held: \(throttle.entryCounts.sources) sources, \(throttle.entryCounts.users) users")

let before = residentBytes()
let full = AuthenticationThrottle(configuration: .init(capacity: entries))
for index in 0..<entries { full.recordFailure(host: host(index), user: "user\(index)", nowMs: 1_000) }
let added = withExtendedLifetime(full) { residentBytes() - before }
print(
  "  memory: \(added / 1024) KiB for \(entries) sources + \(entries) users "
    + "(\(added / max(1, 2 * entries)) bytes an entry)")

let secret = [UInt8](repeating: 7, count: 32)
let registrar = Registrar(
  configuration: RegistrarConfiguration(
    domains: ["example.com"], authentication: .digest(algorithms: [.md5], nonceLifetimeSeconds: 300)),
  nonceSecret: secret)
registrar.credentials = ["alice": "4711"]
let phone = Endpoint(transport: .udp, host: "198.51.100.1", port: 5060)
let nonce = NonceAuthority(lifetimeMs: 300_000, secret: secret).issue(nowMs: 1_000)
var credentials = DigestCredentials(
  username: "alice", realm: "example.com", nonce: nonce, uri: "sip:example.com", response: "")
credentials.response = DigestVerifier.expectedResponse(
  credentials, method: "REGISTER", password: "0000", hash: .md5)
let header =
  "Digest username=\"alice\", realm=\"example.com\", nonce=\"\(nonce)\", uri=\"sip:example.com\", "
  + "response=\"\(credentials.response)\", algorithm=MD5"
func request(_ source: Endpoint) -> Registrar.Request {
  Registrar.Request(
    requestURI: "sip:example.com", to: "<sip:alice@example.com>", contacts: ["<sip:alice@198.51.100.1>"],
    expires: 300, callID: "c", cseq: 1, source: source, authorizations: [header])
}
let unthrottled = Registrar(
  configuration: RegistrarConfiguration(
    domains: ["example.com"], authentication: .digest(algorithms: [.md5], nonceLifetimeSeconds: 300),
    throttle: .init(failureLimit: 0)), nonceSecret: secret)
unthrottled.credentials = registrar.credentials
let wrong = request(phone)
measure("Registrar.register, wrong password, throttle off (401)", requests / 10) {
  _ = unthrottled.register(wrong, nowMs: 2_000 + Int64($0 % 1000))
}
for _ in 0..<5 { _ = registrar.register(wrong, nowMs: 2_000) }
measure("Registrar.register, same request, source blocked (dropped)", requests / 10) { _ in
  _ = registrar.register(wrong, nowMs: 3_000)
}
