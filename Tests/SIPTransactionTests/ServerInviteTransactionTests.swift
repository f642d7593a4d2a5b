import SIPTransaction
import Testing

/// One input to a `ServerInviteTransaction`.
enum ServerInviteInput: Sendable {
  case request
  case response(Int)
  case ack
  case fire(TransactionTimer)
  case transportFailure
}

extension ServerInviteTransaction {
  mutating func apply(_ input: ServerInviteInput) -> [TransactionAction] {
    switch input {
    case .request: receiveRequest()
    case .response(let status): sendResponse(status: status)
    case .ack: receiveACK()
    case .fire(let timer): timerFired(timer)
    case .transportFailure: transportFailed()
    }
  }
}

struct ServerInviteScenario: Sendable, CustomTestStringConvertible {
  typealias Step = (
    input: ServerInviteInput, actions: [TransactionAction], state: ServerInviteTransaction.State
  )
  let name: String
  let reliable: Bool
  let steps: [Step]
  var testDescription: String { name }
}

private let invite: ServerInviteScenario.Step = (.request, [.passRequestToTU], .proceeding)
private let udp486: ServerInviteScenario.Step = (
  .response(486),
  [.sendLastResponse, .startTimer(.G, milliseconds: 500), .startTimer(.H, milliseconds: 32_000)],
  .completed
)
private let tcp486: ServerInviteScenario.Step = (
  .response(486), [.sendLastResponse, .startTimer(.H, milliseconds: 32_000)], .completed
)
private let send200: ServerInviteScenario.Step = (
  .response(200), [.sendLastResponse, .startTimer(.L, milliseconds: 32_000)], .accepted
)

private let serverInviteScenarios: [ServerInviteScenario] = [
  ServerInviteScenario(
    name: "the first INVITE goes to the TU; a retransmission before any response is absorbed",
    reliable: false,
    steps: [invite, (.request, [], .proceeding)]),
  ServerInviteScenario(
    name: "a retransmitted INVITE re-sends the latest provisional", reliable: false,
    steps: [
      invite,
      (.response(100), [.sendLastResponse], .proceeding),
      (.request, [.sendLastResponse], .proceeding),
      (.response(180), [.sendLastResponse], .proceeding),
      (.request, [.sendLastResponse], .proceeding),
    ]),
  ServerInviteScenario(
    name: "UDP non-2xx: Completed with G = T1 and H = 64*T1; G doubles up to T2", reliable: false,
    steps: [
      invite,
      udp486,
      (.request, [.sendLastResponse], .completed),
      (.fire(.G), [.sendLastResponse, .startTimer(.G, milliseconds: 1000)], .completed),
      (.fire(.G), [.sendLastResponse, .startTimer(.G, milliseconds: 2000)], .completed),
      (.fire(.G), [.sendLastResponse, .startTimer(.G, milliseconds: 4000)], .completed),
      (.fire(.G), [.sendLastResponse, .startTimer(.G, milliseconds: 4000)], .completed),
    ]),
  ServerInviteScenario(
    name: "UDP ACK: Confirmed, stop G and H, I = T4; further ACKs and INVITEs absorbed", reliable: false,
    steps: [
      invite,
      udp486,
      (.ack, [.cancelTimer(.G), .cancelTimer(.H), .startTimer(.I, milliseconds: 5000)], .confirmed),
      (.ack, [], .confirmed),
      (.request, [], .confirmed),
      (.response(500), [], .confirmed),
      (.fire(.I), [.terminate], .terminated),
      (.ack, [], .terminated),
      (.request, [], .terminated),
    ]),
  ServerInviteScenario(
    name: "TCP non-2xx starts no G; the ACK terminates at once (I is zero)", reliable: true,
    steps: [invite, tcp486, (.ack, [.terminate], .terminated), (.ack, [], .terminated)]),
  ServerInviteScenario(
    name: "UDP Timer H: the ACK never came", reliable: false,
    steps: [invite, udp486, (.fire(.H), [.timeout, .terminate], .terminated), (.fire(.G), [], .terminated)]),
  ServerInviteScenario(
    name: "TCP Timer H: the ACK never came", reliable: true,
    steps: [invite, tcp486, (.fire(.H), [.timeout, .terminate], .terminated)]),
  ServerInviteScenario(
    name: "Completed discards further responses from the TU", reliable: false,
    steps: [
      invite, udp486, (.response(180), [], .completed), (.response(200), [], .completed),
      (.response(500), [], .completed),
    ]),
  ServerInviteScenario(
    name: "2xx: Accepted with L = 64*T1; INVITE absorbed, TU 2xx sent, ACK to TU", reliable: false,
    steps: [
      invite,
      (.response(180), [.sendLastResponse], .proceeding),
      send200,
      (.request, [], .accepted),
      (.response(200), [.sendLastResponse], .accepted),
      (.ack, [.passRequestToTU], .accepted),
      (.response(180), [], .accepted),
      (.response(486), [], .accepted),
      (.fire(.L), [.terminate], .terminated),
      (.request, [], .terminated),
      (.response(200), [], .terminated),
    ]),
  ServerInviteScenario(
    name: "TCP 2xx enters Accepted too (L does not depend on the transport)", reliable: true,
    steps: [invite, send200]),
  ServerInviteScenario(
    name: "an ACK before any final response is ignored", reliable: false,
    steps: [invite, (.ack, [], .proceeding)]),
  ServerInviteScenario(
    name: "status codes outside 100-699 are ignored", reliable: false,
    steps: [invite, (.response(99), [], .proceeding), (.response(700), [], .proceeding)]),
  ServerInviteScenario(
    name: "transport error in Proceeding is reported, the state stays (RFC 6026 §7.1)", reliable: false,
    steps: [
      invite,
      (.response(100), [.sendLastResponse], .proceeding),
      (.transportFailure, [.transportError], .proceeding),
      (.request, [.sendLastResponse], .proceeding),
    ]),
  ServerInviteScenario(
    name: "transport error in Completed is reported, H still ends it", reliable: false,
    steps: [
      invite, udp486, (.transportFailure, [.transportError], .completed),
      (.fire(.H), [.timeout, .terminate], .terminated),
    ]),
  ServerInviteScenario(
    name: "transport error in Accepted is reported, INVITEs still absorbed", reliable: true,
    steps: [
      invite, send200, (.transportFailure, [.transportError], .accepted), (.request, [], .accepted),
    ]),
  ServerInviteScenario(
    name: "transport error in Confirmed is ignored", reliable: false,
    steps: [
      invite, udp486,
      (.ack, [.cancelTimer(.G), .cancelTimer(.H), .startTimer(.I, milliseconds: 5000)], .confirmed),
      (.transportFailure, [], .confirmed),
    ]),
]

struct ServerInviteLiveTimers: Sendable, CustomTestStringConvertible {
  let name: String
  let reliable: Bool
  let path: [ServerInviteInput]
  let live: Set<TransactionTimer>
  var testDescription: String { name }
}

private let serverInviteLiveTimers: [ServerInviteLiveTimers] = [
  ServerInviteLiveTimers(
    name: "UDP Proceeding", reliable: false, path: [.request, .response(180)], live: []),
  ServerInviteLiveTimers(
    name: "UDP Completed", reliable: false, path: [.request, .response(486)], live: [.G, .H]),
  ServerInviteLiveTimers(
    name: "TCP Completed", reliable: true, path: [.request, .response(486)], live: [.H]),
  ServerInviteLiveTimers(
    name: "UDP Confirmed", reliable: false, path: [.request, .response(486), .ack], live: [.I]),
  ServerInviteLiveTimers(name: "TCP Accepted", reliable: true, path: [.request, .response(200)], live: [.L]),
  ServerInviteLiveTimers(
    name: "UDP Terminated", reliable: false, path: [.request, .response(200), .fire(.L)], live: []),
]

@Suite("ServerInviteTransaction (RFC 3261 §17.2.1, RFC 6026)")
struct ServerInviteTransactionTests {
  @Test(arguments: serverInviteScenarios)
  func transitions(_ scenario: ServerInviteScenario) {
    var transaction = ServerInviteTransaction(reliable: scenario.reliable)
    #expect(transaction.state == .proceeding)
    for (index, step) in scenario.steps.enumerated() {
      let actions = transaction.apply(step.input)
      #expect(actions == step.actions, "step \(index): \(step.input)")
      #expect(transaction.state == step.state, "step \(index): \(step.input)")
    }
  }

  @Test("stale timers return [] and change nothing", arguments: serverInviteLiveTimers)
  func staleTimers(_ live: ServerInviteLiveTimers) {
    var reached = ServerInviteTransaction(reliable: live.reliable)
    for input in live.path { _ = reached.apply(input) }
    for timer in TransactionTimer.allCases {
      var transaction = reached
      let actions = transaction.timerFired(timer)
      if live.live.contains(timer) {
        #expect(!actions.isEmpty, "\(timer) is live")
      } else {
        #expect(actions == [], "\(timer) is stale")
        #expect(transaction.state == reached.state, "\(timer) is stale")
      }
    }
  }

  @Test("UDP 486 never ACKed: sent at 0, 0.5, 1.5, 3.5 s then every T2; H at 64*T1")
  func retransmissionInstants() {
    var transaction = ServerInviteTransaction(reliable: false)
    let driver = VirtualClockDriver()
    driver.perform(transaction.receiveRequest())
    driver.perform(transaction.sendResponse(status: 486))
    driver.run { transaction.timerFired($0) }
    #expect(
      driver.times(of: .sendLastResponse) == [
        0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
      ])
    #expect(driver.times(of: .timeout) == [32_000])
    #expect(transaction.state == .terminated)
  }

  @Test("UDP 486 ACKed after two retransmissions: Confirmed for T4")
  func confirmedLastsT4() {
    var transaction = ServerInviteTransaction(reliable: false)
    let driver = VirtualClockDriver()
    driver.perform(transaction.receiveRequest())
    driver.perform(transaction.sendResponse(status: 486))
    driver.run(untilMs: 1500) { transaction.timerFired($0) }
    driver.perform(transaction.receiveACK())
    driver.run { transaction.timerFired($0) }
    #expect(driver.times(of: .sendLastResponse) == [0, 500, 1500])
    #expect(driver.times(of: .timeout) == [])
    #expect(driver.times(of: .terminate) == [6500])
  }
}
