import JSON
import Testing

@testable import Proxy
@testable import SwitchDaemon

/// The admin API without a socket (docs/admin.md): routing of requests,
/// JSON written and read, bearer tokens, the event fan-out's bounded
/// buffers and subscriber cap.
@Suite("Admin API: routes, JSON, tokens, events")
struct AdminAPITests {
  func route(_ method: String, _ target: String) -> Result<AdminRoute, AdminRoute.Failure> {
    Result { () throws(AdminRoute.Failure) in try AdminRoute(method: method, target: target) }
  }

  @Test func requestsAreRoutedByMethodAndPath() throws {
    #expect(
      try route("GET", "/v1/calls?carrier=c1&number=%2B4420&limit=5&offset=10").get()
        == .calls(ActiveCallFilter(carrier: "c1", number: "+4420"), offset: 10, limit: 5))
    #expect(try route("GET", "/v1/calls").get() == .calls(ActiveCallFilter(), offset: 0, limit: 100))
    #expect(try route("GET", "/v1/calls/abc").get() == .call("abc"))
    #expect(try route("POST", "/v1/calls/a%2Fb/hangup").get() == .hangup("a/b"))
    #expect(try route("POST", "/v1/trunks/i1/drain").get() == .drainTrunk("i1"))
    #expect(try route("POST", "/v1/trunks/i1/enable").get() == .enableTrunk("i1"))
    #expect(try route("GET", "/v1/trunks").get() == .trunks)
    #expect(try route("GET", "/v1/limits").get() == .limits)
    #expect(try route("GET", "/v1/accounts?limit=2").get() == .accounts(offset: 0, limit: 2))
    #expect(try route("GET", "/v1/registrations?user=1001").get() == .registrations(user: "1001"))
    #expect(try route("POST", "/v1/reload").get() == .reload)
    #expect(try route("POST", "/v1/drain").get() == .drain)
    #expect(try route("GET", "/v1/version").get() == .version)
    #expect(
      try route("GET", "/v1/events?state=answered,ended&carrier=c2").get()
        == .events(CallEventFilter(carrier: "c2", states: [.answered, .ended])))
    #expect(try route("POST", "/v1/calls/abc/hangup").get().isChange)
    #expect(try !route("GET", "/v1/calls/abc").get().isChange)
  }

  @Test func badRequestsGetTheirStatus() {
    func status(_ method: String, _ target: String) -> Int? {
      if case .failure(let failure) = route(method, target) { return failure.status }
      return nil
    }
    #expect(status("GET", "/v2/calls") == 404)
    #expect(status("GET", "/v1/nothing") == 404)
    #expect(status("GET", "/v1/calls//hangup") == 404)
    #expect(status("GET", "/") == 404)
    #expect(status("GET", "/v1/calls/abc/hangup") == 405)
    #expect(status("DELETE", "/v1/calls") == 405)
    #expect(status("GET", "/v1/calls?limit=0") == 400)
    #expect(status("GET", "/v1/calls?limit=501") == 400)
    #expect(status("GET", "/v1/calls?offset=-1") == 400)
    #expect(status("GET", "/v1/registrations") == 400)
    #expect(status("GET", "/v1/events?state=flying") == 400)
    if case .failure(let failure) = route("POST", "/v1/version") { #expect(failure.allow == "GET") }
  }

  @Test func jsonIsWrittenAndReadBack() throws {
    let value = JSONValue.object([
      ("s", .string("a\"b\\c\n\u{1}é")), ("n", .number(-42)), ("t", .bool(true)), ("z", .null),
      ("a", .array([.number(1), .object([])])),
    ])
    #expect(value.serialized == #"{"s":"a\"b\\c\n\u0001é","n":-42,"t":true,"z":null,"a":[1,{}]}"#)
    #expect(try JSONParser.parse(value.serialized) == value)
    #expect(try JSONParser.parse(#" { "reason" : "x\u00e9" } "#)["reason"] == .string("xé"))
    for bad in [
      "{bad", "{\"a\":1,}", "[1 2]", "1.5", "\"open", "{} {}", "", String(repeating: "[", count: 40),
    ] {
      #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bad) }
    }
  }

  @Test func callsAreEncodedWithSnakeCaseNamesAndMoneyAsText() {
    var call = ActiveCall(
      id: "u1", callID: "c", state: .answered, fromUser: "1", toUser: nil, ingress: nil, egress: nil,
      userID: nil,
      source: "udp:127.0.0.1:5060", destination: nil, attempts: 1, startedUnixMs: 5, ringingUnixMs: nil,
      answeredUnixMs: 6, maxDurationMs: nil, sessionIntervalSeconds: nil, paidMs: 60_000)
    call.reserved = [.init(account: .init(.customer, "c1"), amount: .init(micros: 1_500_000))]
    let json = AdminJSON.call(call)
    #expect(json["state"] == .string("answered"))
    #expect(json["to"] == .null)
    #expect(json["timers"]?["paid_ms"] == .number(60_000))
    #expect(json["reserved"]?.arrayValue?.first?["amount"] == .string("1.500000"))
    #expect(json["reserved"]?.arrayValue?.first?["account"] == .string("customer:c1"))
  }

  @Test func tokensAreNamedAndCheckedExactly() throws {
    let tokens = try AdminTokens(text: "# ops\nnoc:0123456789abcdef0123\n\nfedcba9876543210fedc\n")
    #expect(tokens.name(authorization: "Bearer 0123456789abcdef0123") == "noc")
    #expect(tokens.name(authorization: "bearer fedcba9876543210fedc") == "admin")
    #expect(tokens.name(authorization: "Bearer 0123456789abcdef012") == nil)
    #expect(tokens.name(authorization: "Bearer 0123456789abcdef01234") == nil)
    #expect(tokens.name(authorization: "Basic 0123456789abcdef0123") == nil)
    #expect(tokens.name(authorization: nil) == nil)
    #expect(throws: AdminTokens.Failure.self) { try AdminTokens(text: "# nothing\n") }
    #expect(throws: AdminTokens.Failure.self) { try AdminTokens(text: "short\n") }
  }

  static func event(_ state: CallEvent.State, carrier: String = "c1") -> CallEvent {
    var summary = CallSummary(
      recordID: "u1", callID: "c", fromTag: "f", source: .init(transport: .udp, host: "127.0.0.1", port: 1),
      startedUnixMs: 0, endedUnixMs: 0, finalStatus: 200, outcome: .answered, attempts: 1)
    summary.ingress = .init(carrierID: carrier, interconnectID: "i1", serviceID: "s1")
    summary.endedBy = "caller"
    return CallEvent(state: state, unixMs: 7, summary: summary)
  }

  @Test func aSlowSubscriberIsDisconnectedAndOthersKeepTheirEvents() {
    let hub = CallEventHub(maxSubscribers: 10, bufferCapacity: 3)
    var fast: [String] = []
    var slow: [String] = []
    var slowClosed = false
    var fastID = 0
    fastID = hub.subscribe(
      CallEventFilter(),
      send: {
        fast.append($0); hub.delivered(fastID)
      }, close: {})!
    _ = hub.subscribe(CallEventFilter(), send: { slow.append($0) }, close: { slowClosed = true })
    for _ in 0..<3 { hub.publish(Self.event(.ringing)) }
    #expect(!slowClosed)
    hub.publish(Self.event(.answered))
    #expect(slowClosed)
    #expect(slow.count == 3)
    #expect(fast.count == 4)
    #expect(hub.subscribers.count == 1)
    #expect(hub.slowDisconnects == 1)
    #expect(fast.last?.hasPrefix("id: 4\nevent: answered\ndata: {\"seq\":4,\"state\":\"answered\"") == true)
    #expect(fast.last?.hasSuffix("\n\n") == true)
  }

  @Test func subscribersPastTheCapAreRefusedAndFiltersApply() {
    let hub = CallEventHub(maxSubscribers: 2, bufferCapacity: 8)
    var got: [String] = []
    _ = hub.subscribe(CallEventFilter(carrier: "c9"), send: { got.append($0) }, close: {})
    _ = hub.subscribe(CallEventFilter(states: [.ended]), send: { got.append($0) }, close: {})
    #expect(hub.subscribe(CallEventFilter(), send: { _ in }, close: {}) == nil)
    #expect(hub.refusals == 1)
    hub.publish(Self.event(.ringing))
    #expect(got.isEmpty)
    hub.publish(Self.event(.ended))
    #expect(got.count == 1)
    #expect(got.first?.contains("\"ended_by\":\"caller\"") == true)
    hub.publish(Self.event(.ringing, carrier: "c9"))
    #expect(got.count == 2)
  }

  @Test func tenThousandSubscribersAgainstACapOf100GetRefusedAndCallsPayOnlyForThe100() {
    let hub = CallEventHub(maxSubscribers: 100, bufferCapacity: 4)
    var sent = 0
    var accepted = 0
    for _ in 0..<10_000 where hub.subscribe(CallEventFilter(), send: { _ in sent += 1 }, close: {}) != nil {
      accepted += 1
    }
    #expect(accepted == 100)
    #expect(hub.refusals == 9_900)
    hub.publish(Self.event(.ringing))
    #expect(sent == 100)
  }

  @Test func aSendThatClosesSubscribersAtOnceIsSafe() {
    let hub = CallEventHub(maxSubscribers: 10, bufferCapacity: 4)
    var ids: [Int] = []
    var received = 0
    for _ in 0..<3 {
      let id = hub.subscribe(
        CallEventFilter(),
        send: { _ in
          received += 1
          // A write that fails closes the channel: every subscriber goes.
          for other in ids { hub.unsubscribe(other) }
        }, close: {})
      ids.append(id!)
    }
    hub.publish(Self.event(.ringing))
    #expect(received == 1)
    #expect(hub.isEmpty)
  }

  @Test func theBufferCountsUnsentEvents() {
    var buffer = EventSubscriberBuffer(capacity: 2)
    var offers: [Bool] = []
    for _ in 0..<3 { offers.append(buffer.offer()) }
    buffer.sent()
    offers.append(buffer.offer())
    #expect(offers == [true, true, false, true])
    #expect(buffer.unsent == 2)
  }

  @Test func theClientReadsAnHTTPAnswerAndItsURL() throws {
    let response = try AdminClient.parseResponse(
      Array("HTTP/1.1 404 Not Found\r\nA: b\r\n\r\n{\"x\":1}".utf8))
    #expect(response == AdminClient.Response(status: 404, body: "{\"x\":1}"))
    #expect(throws: AdminClient.Failure.self) { try AdminClient.parseResponse(Array("garbage".utf8)) }
    #expect(AdminClient.parse(url: "http://127.0.0.1:9465/")! == ("127.0.0.1", 9465))
    #expect(AdminClient.parse(url: "[::1]:9465")! == ("::1", 9465))
    #expect(AdminClient.parse(url: "http://nohost") == nil)
  }

  @Test func tablesPadTheirColumns() {
    let table = TextTable.of(
      [
        .object([("id", .string("a")), ("leg", .object([("x", .number(10))]))]),
        .object([("id", .string("bbb"))]),
      ],
      columns: ["id", "leg.x"])
    #expect(table.rendered == "ID   LEG.X\na    10\nbbb  -\n")
  }
}
