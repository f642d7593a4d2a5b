import SIPTransaction
import Testing

/// One input to a `ClientInviteTransaction`.
enum ClientInviteInput: Sendable {
  case start
  case response(Int)
  case fire(TransactionTimer)
  case transportFailure
}

extension ClientInviteTransaction {
  mutating func apply(_ input: ClientInviteInput) -> [TransactionAction] {
    switch input {
    case .start: start()
    case .response(let status): receive(responseStatus: status)
    case .fire(let timer): timerFired(timer)
    case .transportFailure: transportFailed()
    }
  }
}

struct ClientInviteScenario: Sendable, CustomTestStringConvertible {
  typealias Step = (
    input: ClientInviteInput, actions: [TransactionAction], state: ClientInviteTransaction.State
  )
  let name: String
  let reliable: Bool
  let steps: [Step]
  var testDescription: String { name }
}

private let udpStart: ClientInviteScenario.Step = (
  .start, [.sendRequest, .startTimer(.A, milliseconds: 500), .startTimer(.B, milliseconds: 32_000)],
  .calling
)
private let tcpStart: ClientInviteScenario.Step = (
  .start, [.sendRequest, .startTimer(.B, milliseconds: 32_000)], .calling
)

private let clientInviteScenarios: [ClientInviteScenario] = [
  ClientInviteScenario(
    name: "UDP start sends the INVITE, starts A = T1 and B = 64*T1", reliable: false, steps: [udpStart]),
  ClientInviteScenario(name: "TCP start starts no Timer A", reliable: true, steps: [tcpStart]),
  ClientInviteScenario(
    name: "a second start does nothing", reliable: false,
    steps: [udpStart, (.start, [], .calling)]),
  ClientInviteScenario(
    name: "UDP 1xx in Calling goes to the TU and stops A and B", reliable: false,
    steps: [
      udpStart,
      (.response(180), [.passResponseToTU, .cancelTimer(.A), .cancelTimer(.B)], .proceeding),
      (.response(183), [.passResponseToTU], .proceeding),
    ]),
  ClientInviteScenario(
    name: "TCP 1xx in Calling stops only B", reliable: true,
    steps: [tcpStart, (.response(100), [.passResponseToTU, .cancelTimer(.B)], .proceeding)]),
  ClientInviteScenario(
    name: "UDP 2xx in Calling enters Accepted with M = 64*T1", reliable: false,
    steps: [
      udpStart,
      (
        .response(200),
        [.passResponseToTU, .cancelTimer(.A), .cancelTimer(.B), .startTimer(.M, milliseconds: 32_000)],
        .accepted
      ),
    ]),
  ClientInviteScenario(
    name: "2xx in Proceeding enters Accepted; retransmitted and forked 2xx go to the TU", reliable: false,
    steps: [
      udpStart,
      (.response(180), [.passResponseToTU, .cancelTimer(.A), .cancelTimer(.B)], .proceeding),
      (.response(200), [.passResponseToTU, .startTimer(.M, milliseconds: 32_000)], .accepted),
      (.response(200), [.passResponseToTU], .accepted),
      (.response(202), [.passResponseToTU], .accepted),
      (.fire(.M), [.terminate], .terminated),
      (.response(200), [], .terminated),
    ]),
  ClientInviteScenario(
    name: "TCP 2xx enters Accepted too (M does not depend on the transport)", reliable: true,
    steps: [
      tcpStart,
      (
        .response(200), [.passResponseToTU, .cancelTimer(.B), .startTimer(.M, milliseconds: 32_000)],
        .accepted
      ),
    ]),
  ClientInviteScenario(
    name: "UDP non-2xx in Calling: ACK, to TU once, D = 32 s; retransmitted finals only re-ACKed",
    reliable: false,
    steps: [
      udpStart,
      (
        .response(486),
        [
          .sendACK, .passResponseToTU, .cancelTimer(.A), .cancelTimer(.B),
          .startTimer(.D, milliseconds: 32_000),
        ],
        .completed
      ),
      (.response(486), [.sendACK], .completed),
      (.response(486), [.sendACK], .completed),
      (.fire(.D), [.terminate], .terminated),
      (.response(486), [], .terminated),
    ]),
  ClientInviteScenario(
    name: "UDP non-2xx in Proceeding", reliable: false,
    steps: [
      udpStart,
      (.response(180), [.passResponseToTU, .cancelTimer(.A), .cancelTimer(.B)], .proceeding),
      (.response(503), [.sendACK, .passResponseToTU, .startTimer(.D, milliseconds: 32_000)], .completed),
    ]),
  ClientInviteScenario(
    name: "3xx and 6xx are non-2xx finals", reliable: false,
    steps: [
      udpStart,
      (.response(100), [.passResponseToTU, .cancelTimer(.A), .cancelTimer(.B)], .proceeding),
      (.response(302), [.sendACK, .passResponseToTU, .startTimer(.D, milliseconds: 32_000)], .completed),
      (.response(603), [.sendACK], .completed),
    ]),
  ClientInviteScenario(
    name: "TCP non-2xx: D is zero so the transaction terminates at once", reliable: true,
    steps: [
      tcpStart,
      (.response(404), [.sendACK, .passResponseToTU, .terminate], .terminated),
      (.response(404), [], .terminated),
    ]),
  ClientInviteScenario(
    name: "UDP Timer B in Calling times out", reliable: false,
    steps: [
      udpStart,
      (.fire(.A), [.sendRequest, .startTimer(.A, milliseconds: 1000)], .calling),
      (.fire(.B), [.timeout, .terminate], .terminated),
      (.fire(.A), [], .terminated),
    ]),
  ClientInviteScenario(
    name: "TCP Timer B in Calling times out", reliable: true,
    steps: [tcpStart, (.fire(.B), [.timeout, .terminate], .terminated)]),
  ClientInviteScenario(
    name: "provisional and final responses after a final are ignored", reliable: false,
    steps: [
      udpStart,
      (
        .response(486),
        [
          .sendACK, .passResponseToTU, .cancelTimer(.A), .cancelTimer(.B),
          .startTimer(.D, milliseconds: 32_000),
        ],
        .completed
      ),
      (.response(180), [], .completed),
      (.response(200), [], .completed),
    ]),
  ClientInviteScenario(
    name: "provisional and non-2xx responses in Accepted are ignored", reliable: true,
    steps: [
      tcpStart,
      (
        .response(200), [.passResponseToTU, .cancelTimer(.B), .startTimer(.M, milliseconds: 32_000)],
        .accepted
      ),
      (.response(180), [], .accepted),
      (.response(486), [], .accepted),
    ]),
  ClientInviteScenario(
    name: "status codes outside 100-699 are ignored", reliable: false,
    steps: [
      udpStart, (.response(99), [], .calling), (.response(700), [], .calling), (.response(0), [], .calling),
    ]
  ),
  ClientInviteScenario(
    name: "transport error in Calling", reliable: false,
    steps: [udpStart, (.transportFailure, [.transportError, .terminate], .terminated)]),
  ClientInviteScenario(
    name: "transport error in Proceeding", reliable: true,
    steps: [
      tcpStart,
      (.response(180), [.passResponseToTU, .cancelTimer(.B)], .proceeding),
      (.transportFailure, [.transportError, .terminate], .terminated),
    ]),
  ClientInviteScenario(
    name: "transport error in Completed (sending the ACK)", reliable: false,
    steps: [
      udpStart,
      (
        .response(500),
        [
          .sendACK, .passResponseToTU, .cancelTimer(.A), .cancelTimer(.B),
          .startTimer(.D, milliseconds: 32_000),
        ],
        .completed
      ),
      (.transportFailure, [.transportError, .terminate], .terminated),
      (.transportFailure, [], .terminated),
    ]),
  ClientInviteScenario(
    name: "transport error in Accepted is ignored (nothing of ours was sent)", reliable: true,
    steps: [
      tcpStart,
      (
        .response(200), [.passResponseToTU, .cancelTimer(.B), .startTimer(.M, milliseconds: 32_000)],
        .accepted
      ),
      (.transportFailure, [], .accepted),
    ]),
]

@Suite("ClientInviteTransaction (RFC 3261 §17.1.1, RFC 6026)")
struct ClientInviteTransactionTests {
  @Test(arguments: clientInviteScenarios)
  func transitions(_ scenario: ClientInviteScenario) {
    var transaction = ClientInviteTransaction(reliable: scenario.reliable)
    #expect(transaction.state == .calling)
    for (index, step) in scenario.steps.enumerated() {
      let actions = transaction.apply(step.input)
      #expect(actions == step.actions, "step \(index): \(step.input)")
      #expect(transaction.state == step.state, "step \(index): \(step.input)")
    }
  }

  @Test("Timer A doubles without a T2 cap: 500, 1000, 2000, 4000, 8000, 16000, 32000 ms")
  func timerADoubles() {
    var transaction = ClientInviteTransaction(reliable: false)
    var intervals: [Int64] = []
    for action in transaction.start() {
      if case .startTimer(.A, let ms) = action { intervals.append(ms) }
    }
    for _ in 0..<6 {
      let actions = transaction.timerFired(.A)
      #expect(actions.first == .sendRequest)
      for action in actions {
        if case .startTimer(.A, let ms) = action { intervals.append(ms) }
      }
    }
    #expect(intervals == [500, 1000, 2000, 4000, 8000, 16_000, 32_000])
  }

  @Test("UDP with no answer: seven INVITEs at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s, timeout at 32 s")
  func retransmissionInstants() {
    var transaction = ClientInviteTransaction(reliable: false)
    let driver = VirtualClockDriver()
    driver.perform(transaction.start())
    driver.run { transaction.timerFired($0) }
    #expect(driver.times(of: .sendRequest) == [0, 500, 1500, 3500, 7500, 15_500, 31_500])
    #expect(driver.times(of: .timeout) == [32_000])
    #expect(driver.times(of: .terminate) == [32_000])
    #expect(transaction.state == .terminated)
  }

  @Test("TCP with no answer: one INVITE, timeout at 64*T1")
  func reliableSendsOnce() {
    var transaction = ClientInviteTransaction(reliable: true, timers: TimerValues(t1: 100, t2: 400, t4: 500))
    let driver = VirtualClockDriver()
    driver.perform(transaction.start())
    driver.run { transaction.timerFired($0) }
    #expect(driver.times(of: .sendRequest) == [0])
    #expect(driver.times(of: .timeout) == [6400])
  }

  @Test("a 486 after two retransmissions: ACKed, Completed for 32 s, then Terminated")
  func completedLasts32Seconds() {
    var transaction = ClientInviteTransaction(reliable: false)
    let driver = VirtualClockDriver()
    driver.perform(transaction.start())
    driver.run(untilMs: 1500) { transaction.timerFired($0) }
    driver.perform(transaction.receive(responseStatus: 486))
    driver.run { transaction.timerFired($0) }
    #expect(driver.times(of: .sendRequest) == [0, 500, 1500])
    #expect(driver.times(of: .sendACK) == [1500])
    #expect(driver.times(of: .timeout) == [])
    #expect(driver.times(of: .terminate) == [33_500])
  }

  @Test("timers set by custom T1 scale A, B and M")
  func customTimerValues() {
    var transaction = ClientInviteTransaction(reliable: false, timers: TimerValues(t1: 100, t2: 400, t4: 500))
    #expect(
      transaction.start() == [
        .sendRequest, .startTimer(.A, milliseconds: 100), .startTimer(.B, milliseconds: 6400),
      ])
    #expect(transaction.timerFired(.A) == [.sendRequest, .startTimer(.A, milliseconds: 200)])
    #expect(
      transaction.receive(responseStatus: 200) == [
        .passResponseToTU, .cancelTimer(.A), .cancelTimer(.B), .startTimer(.M, milliseconds: 6400),
      ])
  }
}

/// A state reached by `path`, and the timers that are live in it.
struct ClientInviteLiveTimers: Sendable, CustomTestStringConvertible {
  let name: String
  let reliable: Bool
  let path: [ClientInviteInput]
  let live: Set<TransactionTimer>
  var testDescription: String { name }
}

private let clientInviteLiveTimers: [ClientInviteLiveTimers] = [
  ClientInviteLiveTimers(name: "not started", reliable: false, path: [], live: []),
  ClientInviteLiveTimers(name: "UDP Calling", reliable: false, path: [.start], live: [.A, .B]),
  ClientInviteLiveTimers(name: "TCP Calling", reliable: true, path: [.start], live: [.B]),
  ClientInviteLiveTimers(name: "UDP Proceeding", reliable: false, path: [.start, .response(180)], live: []),
  ClientInviteLiveTimers(name: "UDP Completed", reliable: false, path: [.start, .response(486)], live: [.D]),
  ClientInviteLiveTimers(name: "TCP Accepted", reliable: true, path: [.start, .response(200)], live: [.M]),
  ClientInviteLiveTimers(name: "UDP Terminated", reliable: false, path: [.start, .fire(.B)], live: []),
]

extension ClientInviteTransactionTests {
  @Test("stale timers return [] and change nothing", arguments: clientInviteLiveTimers)
  func staleTimers(_ live: ClientInviteLiveTimers) {
    var reached = ClientInviteTransaction(reliable: live.reliable)
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
}
