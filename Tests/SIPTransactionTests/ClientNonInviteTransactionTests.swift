import SIPTransaction
import Testing

/// One input to a `ClientNonInviteTransaction`.
enum ClientNonInviteInput: Sendable {
  case start
  case response(Int)
  case fire(TransactionTimer)
  case transportFailure
}

extension ClientNonInviteTransaction {
  mutating func apply(_ input: ClientNonInviteInput) -> [TransactionAction] {
    switch input {
    case .start: start()
    case .response(let status): receive(responseStatus: status)
    case .fire(let timer): timerFired(timer)
    case .transportFailure: transportFailed()
    }
  }
}

struct ClientNonInviteScenario: Sendable, CustomTestStringConvertible {
  typealias Step = (
    input: ClientNonInviteInput, actions: [TransactionAction], state: ClientNonInviteTransaction.State
  )
  let name: String
  let reliable: Bool
  let steps: [Step]
  var testDescription: String { name }
}

private let udpStart: ClientNonInviteScenario.Step = (
  .start, [.sendRequest, .startTimer(.E, milliseconds: 500), .startTimer(.F, milliseconds: 32_000)], .trying
)
private let tcpStart: ClientNonInviteScenario.Step = (
  .start, [.sendRequest, .startTimer(.F, milliseconds: 32_000)], .trying
)
private let udpFinal: [TransactionAction] = [
  .passResponseToTU, .cancelTimer(.E), .cancelTimer(.F), .startTimer(.K, milliseconds: 5000),
]

private let clientNonInviteScenarios: [ClientNonInviteScenario] = [
  ClientNonInviteScenario(name: "UDP start sends, E = T1, F = 64*T1", reliable: false, steps: [udpStart]),
  ClientNonInviteScenario(name: "TCP start starts no Timer E", reliable: true, steps: [tcpStart]),
  ClientNonInviteScenario(
    name: "a second start does nothing", reliable: true, steps: [tcpStart, (.start, [], .trying)]),
  ClientNonInviteScenario(
    name: "E doubles up to T2 in Trying", reliable: false,
    steps: [
      udpStart,
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 1000)], .trying),
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 2000)], .trying),
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 4000)], .trying),
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 4000)], .trying),
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 4000)], .trying),
    ]),
  ClientNonInviteScenario(
    name: "1xx moves to Proceeding, E keeps running and is reset to T2", reliable: false,
    steps: [
      udpStart,
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 1000)], .trying),
      (.response(100), [.passResponseToTU], .proceeding),
      (.response(180), [.passResponseToTU], .proceeding),
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 4000)], .proceeding),
      (.fire(.E), [.sendRequest, .startTimer(.E, milliseconds: 4000)], .proceeding),
    ]),
  ClientNonInviteScenario(
    name: "UDP final in Trying: to TU, stop E and F, K = T4; retransmissions absorbed", reliable: false,
    steps: [
      udpStart,
      (.response(200), udpFinal, .completed),
      (.response(200), [], .completed),
      (.response(180), [], .completed),
      (.response(404), [], .completed),
      (.fire(.K), [.terminate], .terminated),
      (.response(200), [], .terminated),
    ]),
  ClientNonInviteScenario(
    name: "UDP final in Proceeding", reliable: false,
    steps: [
      udpStart,
      (.response(100), [.passResponseToTU], .proceeding),
      (.response(404), udpFinal, .completed),
    ]),
  ClientNonInviteScenario(
    name: "6xx is a final response", reliable: false,
    steps: [udpStart, (.response(603), udpFinal, .completed)]),
  ClientNonInviteScenario(
    name: "TCP final: K is zero so the transaction terminates at once", reliable: true,
    steps: [
      tcpStart,
      (.response(200), [.passResponseToTU, .terminate], .terminated),
      (.response(200), [], .terminated),
    ]),
  ClientNonInviteScenario(
    name: "UDP Timer F in Trying times out", reliable: false,
    steps: [udpStart, (.fire(.F), [.timeout, .terminate], .terminated), (.fire(.E), [], .terminated)]),
  ClientNonInviteScenario(
    name: "TCP Timer F in Proceeding times out", reliable: true,
    steps: [
      tcpStart,
      (.response(100), [.passResponseToTU], .proceeding),
      (.fire(.F), [.timeout, .terminate], .terminated),
    ]),
  ClientNonInviteScenario(
    name: "status codes outside 100-699 are ignored", reliable: false,
    steps: [udpStart, (.response(99), [], .trying), (.response(700), [], .trying)]),
  ClientNonInviteScenario(
    name: "transport error in Trying", reliable: false,
    steps: [udpStart, (.transportFailure, [.transportError, .terminate], .terminated)]),
  ClientNonInviteScenario(
    name: "transport error in Proceeding", reliable: true,
    steps: [
      tcpStart,
      (.response(100), [.passResponseToTU], .proceeding),
      (.transportFailure, [.transportError, .terminate], .terminated),
    ]),
  ClientNonInviteScenario(
    name: "transport error in Completed is ignored (nothing is sent there)", reliable: false,
    steps: [udpStart, (.response(200), udpFinal, .completed), (.transportFailure, [], .completed)]),
]

struct ClientNonInviteLiveTimers: Sendable, CustomTestStringConvertible {
  let name: String
  let reliable: Bool
  let path: [ClientNonInviteInput]
  let live: Set<TransactionTimer>
  var testDescription: String { name }
}

private let clientNonInviteLiveTimers: [ClientNonInviteLiveTimers] = [
  ClientNonInviteLiveTimers(name: "not started", reliable: false, path: [], live: []),
  ClientNonInviteLiveTimers(name: "UDP Trying", reliable: false, path: [.start], live: [.E, .F]),
  ClientNonInviteLiveTimers(name: "TCP Trying", reliable: true, path: [.start], live: [.F]),
  ClientNonInviteLiveTimers(
    name: "UDP Proceeding", reliable: false, path: [.start, .response(100)], live: [.E, .F]),
  ClientNonInviteLiveTimers(
    name: "TCP Proceeding", reliable: true, path: [.start, .response(100)], live: [.F]),
  ClientNonInviteLiveTimers(
    name: "UDP Completed", reliable: false, path: [.start, .response(200)], live: [.K]),
  ClientNonInviteLiveTimers(name: "UDP Terminated", reliable: false, path: [.start, .fire(.F)], live: []),
]

@Suite("ClientNonInviteTransaction (RFC 3261 §17.1.2)")
struct ClientNonInviteTransactionTests {
  @Test(arguments: clientNonInviteScenarios)
  func transitions(_ scenario: ClientNonInviteScenario) {
    var transaction = ClientNonInviteTransaction(reliable: scenario.reliable)
    #expect(transaction.state == .trying)
    for (index, step) in scenario.steps.enumerated() {
      let actions = transaction.apply(step.input)
      #expect(actions == step.actions, "step \(index): \(step.input)")
      #expect(transaction.state == step.state, "step \(index): \(step.input)")
    }
  }

  @Test("stale timers return [] and change nothing", arguments: clientNonInviteLiveTimers)
  func staleTimers(_ live: ClientNonInviteLiveTimers) {
    var reached = ClientNonInviteTransaction(reliable: live.reliable)
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

  @Test("UDP with no answer: sends at 0, 0.5, 1.5, 3.5 s then every T2, timeout at 64*T1")
  func retransmissionInstants() {
    var transaction = ClientNonInviteTransaction(reliable: false)
    let driver = VirtualClockDriver()
    driver.perform(transaction.start())
    driver.run { transaction.timerFired($0) }
    #expect(
      driver.times(of: .sendRequest) == [
        0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
      ])
    #expect(driver.times(of: .timeout) == [32_000])
    #expect(transaction.state == .terminated)
  }

  @Test("UDP 200 after a 100: retransmits every T2 in Proceeding, K = T4 after the 200")
  func proceedingThenFinal() {
    var transaction = ClientNonInviteTransaction(reliable: false)
    let driver = VirtualClockDriver()
    driver.perform(transaction.start())
    driver.run(untilMs: 600) { transaction.timerFired($0) }
    driver.perform(transaction.receive(responseStatus: 100))
    driver.run(untilMs: 9000) { transaction.timerFired($0) }
    driver.perform(transaction.receive(responseStatus: 200))
    driver.run { transaction.timerFired($0) }
    #expect(driver.times(of: .sendRequest) == [0, 500, 1500, 5500])
    #expect(driver.times(of: .passResponseToTU) == [500, 5500])
    #expect(driver.times(of: .timeout) == [])
    #expect(driver.times(of: .terminate) == [10_500])
  }

  @Test("custom T1 and T2 set the E cap")
  func customTimerValues() {
    var transaction = ClientNonInviteTransaction(
      reliable: false, timers: TimerValues(t1: 100, t2: 400, t4: 500))
    #expect(
      transaction.start() == [
        .sendRequest, .startTimer(.E, milliseconds: 100), .startTimer(.F, milliseconds: 6400),
      ])
    #expect(transaction.timerFired(.E) == [.sendRequest, .startTimer(.E, milliseconds: 200)])
    #expect(transaction.timerFired(.E) == [.sendRequest, .startTimer(.E, milliseconds: 400)])
    #expect(transaction.timerFired(.E) == [.sendRequest, .startTimer(.E, milliseconds: 400)])
  }
}
