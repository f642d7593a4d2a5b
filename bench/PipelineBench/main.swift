// pipeline-bench: the call pipeline's CPU per initial INVITE (softswitch
// mode), without the proxy core, sockets or a database: `CallPipeline.route`
// on one parsed INVITE against an in-memory snapshot, as the core calls it.
//
//     swift run -c release pipeline-bench [calls] [rounds]
//
// Three cases: a call routed to three rated suppliers in least-cost order,
// with CPS limits on the interconnect and the service and capped (not full)
// capacities; the same call refused because its carrier is at capacity
// (after both CPS buckets); and a number no prefix matches (404). Prints ns
// of this thread's CPU time per call (best and median round), so other load
// on the machine counts less. Uses only the public API, so the same file
// measures the pipeline before and after a change.
import Policy
import Proxy
import Routing
import SIPCore

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let calls = arguments.first ?? 200_000
let rounds = arguments.dropFirst().first ?? 7

let source = Endpoint(transport: .udp, host: "10.0.0.5", port: 5060)

func ratingPlan(_ id: String, _ rates: [(String, String)]) throws -> RatingPlan {
  var builder = try RatingPlan.Builder(id: id, name: id, currency: "USD", margin: .off)
  for (prefix, rate) in rates {
    try builder.add(
      prefix: prefix,
      rate: Rate(ratePerMinute: Money(rate)!, increments: BillingIncrements(initial: 60, recurring: 60)!))
  }
  return try builder.build()
}

func snapshot(carrierLimit: Int) throws -> Snapshot {
  let customer = Carrier(
    id: "carrier-customer-1", code: "CUST", name: "Customer", partnerType: .customer, status: .active,
    capacityMode: .capped, capacityLimit: carrierLimit)
  let suppliers = (2...4).map {
    Carrier(
      id: "carrier-supplier-\($0)", code: "SUP\($0)", name: "Supplier \($0)", partnerType: .supplier,
      status: .active)
  }
  let ingress = Interconnect(
    id: "interconnect-in-1", carrierID: customer.id, name: "in", direction: .ingress, capacityMode: .capped,
    capacityLimit: 1_000_000,
    addresses: [
      try InterconnectAddress.parse(ipAddress: "10.0.0.0/24", isRange: false, rangeEnd: nil, port: nil)
    ])
  let trunks = (2...4).map {
    Interconnect(
      id: "interconnect-out-\($0)", carrierID: "carrier-supplier-\($0)", name: "t\($0)", direction: .egress,
      host: "192.0.2.\($0)", sipPort: 5080, capacityMode: .capped, capacityLimit: 1_000_000)
  }
  let rate = CallRateLimit(rate: 1_000_000_000, burst: 1_000_000_000)
  var services = [
    CarrierService(
      id: "service-in-1", carrierID: customer.id, interconnectID: ingress.id, name: "in", direction: .ingress,
      ratingPlanID: "rate-in", routingPlanID: "plan-1", capacityMode: .capped, capacityLimit: 1_000_000,
      callRate: rate)
  ]
  services += (2...4).map {
    CarrierService(
      id: "service-out-\($0)", carrierID: "carrier-supplier-\($0)", interconnectID: "interconnect-out-\($0)",
      name: "out\($0)", direction: .egress, ratingPlanID: "rate-out-\($0)", capacityMode: .capped,
      capacityLimit: 1_000_000)
  }
  let entries = (0..<1_000).map { n in
    RoutingPlanEntry(
      prefix: "44\(n)",
      routes: (2...4).map { EgressRoute(carrierServiceID: "service-out-\($0)", priority: 1) })
  }
  let plan = RoutingPlan(id: "plan-1", code: "P", name: "plan", order: .lcr, entries: entries)
  return Snapshot(
    carriers: [customer] + suppliers, interconnects: [ingress] + trunks, services: services,
    routingPlans: [plan], policies: ["interconnect-in-1": InterconnectPolicy(callRate: rate)],
    ratingPlans: [
      try ratingPlan("rate-in", [("44", "0.020")]), try ratingPlan("rate-out-2", [("44", "0.012")]),
      try ratingPlan("rate-out-3", [("44", "0.010")]), try ratingPlan("rate-out-4", [("4", "0.015")]),
    ])
}

func invite(user: String) throws -> SIPMessage {
  let text = [
    "INVITE sip:\(user)@127.0.0.1:5070 SIP/2.0", "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1",
    "From: <sip:15550001@10.0.0.5>;tag=a", "To: <sip:\(user)@127.0.0.1>", "Call-ID: c-1", "CSeq: 1 INVITE",
    "Contact: <sip:15550001@10.0.0.5:5060>", "Max-Forwards: 70", "Supported: timer, 100rel",
    "Content-Length: 0", "", "",
  ].joined(separator: "\r\n")
  return try SIPMessage.parse(Array(text.utf8))
}

/// This thread's CPU time so far.
func threadCPUNanoseconds() -> Int64 {
  var time = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
  return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// ns per call of each round, sorted.
func measure(_ pipeline: CallPipeline, _ message: SIPMessage, expect: (RouteDecision) -> Bool) -> [Double] {
  let live = LiveCalls()
  let cps = CPSLimiter()
  var nowMs: Int64 = 0
  guard
    expect(
      pipeline.route(
        invite: message, source: source, context: RouteContext(nowMs: 0, liveCalls: live, cps: cps)))
  else { fatalError("unexpected decision") }
  var results: [Double] = []
  for _ in 0..<rounds {
    var kept = 0
    let start = threadCPUNanoseconds()
    do {
      for n in 0..<calls {
        nowMs += 1
        let decision = pipeline.route(
          invite: message, source: source,
          context: RouteContext(
            nowMs: nowMs, unixMs: 1_790_000_000_000, liveCalls: live, cps: cps, randomSeed: UInt64(n)))
        if case .route(let call) = decision { kept &+= call.targets.count } else { kept &+= 1 }
      }
    }
    precondition(kept > 0)
    results.append(Double(threadCPUNanoseconds() - start) / Double(calls))
  }
  return results.sorted()
}

let routed = try CallPipeline(snapshot: snapshot(carrierLimit: 1_000_000))
let full = try CallPipeline(snapshot: snapshot(carrierLimit: 0))
let cases: [(String, CallPipeline, SIPMessage, (RouteDecision) -> Bool)] = [
  (
    "routed to 3 rated suppliers", routed, try invite(user: "4421555"),
    {
      if case .route(let call) = $0 { return call.targets.count == 3 }
      return false
    }
  ),
  (
    "refused: carrier at capacity", full, try invite(user: "4421555"),
    {
      if case .refuse(let refusal) = $0 { return refusal.reason == "Carrier At Capacity" }
      return false
    }
  ),
  (
    "refused: no route (404)", routed, try invite(user: "3399"),
    {
      if case .refuse(let refusal) = $0 { return refusal.status == 404 }
      return false
    }
  ),
]
print("pipeline-bench: \(calls) calls x \(rounds) rounds")
for (name, pipeline, message, expect) in cases {
  let results = measure(pipeline, message, expect: expect)
  let best = Int(results[0].rounded())
  let median = Int(results[results.count / 2].rounded())
  print("\(name): best \(best) ns/call, median \(median) ns/call")
}
