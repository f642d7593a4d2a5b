import SIPTransaction
import Testing

/// One input to a `ServerNonInviteTransaction`.
enum ServerNonInviteInput: Sendable {
  case request
  case response(Int)
  case fire(TransactionTimer)
  case transportFailure
}

extension ServerNonInviteTransaction {
  mutating func apply(_ input: ServerNonInviteInput) -> [TransactionAction] {
    switch input {
    case .request: receiveRequest()
    case .response(let status): sendResponse(status: status)
    case .fire(let timer): timerFired(timer)
    case .transportFailure: transportFailed()
    }
  }
}

struct ServerNonInviteScenario: Sendable, CustomTestStringConvertible {
  typealias Step = (
    input: ServerNonInviteInput, actions: [TransactionAction], state: ServerNonInviteTransaction.State
  )
  let name: String
  let reliable: Bool
  let steps: [Step]
  var testDescription: String { name }
}

private let request: ServerNonInviteScenario.Step = (.request, [.passRequestToTU], .trying)
private let udp200: [TransactionAction] = [.sendLastResponse, .startTimer(.J, milliseconds: 32_000)]

private let serverNonInviteScenarios: [ServerNonInviteScenario] = [
  ServerNonInviteScenario(
    name: "the first request goes to the TU; retransmissions in Trying are absorbed", reliable: false,
    steps: [request, (.request, [], .trying), (.request, [], .trying)]),
  ServerNonInviteScenario(
    name: "UDP: provisional, then final with J = 64*T1; retransmissions re-send the latest response",
    reliable: false,
    steps: [
      request,
      (.response(100), [.sendLastResponse], .proceeding),
      (.request, [.sendLastResponse], .proceeding),
      (.response(183), [.sendLastResponse], .proceeding),
      (.response(200), udp200, .completed),
      (.request, [.sendLastResponse], .completed),
      (.response(500), [], .completed),
      (.response(180), [], .completed),
      (.fire(.J), [.terminate], .terminated),
      (.request, [], .terminated),
    ]),
  ServerNonInviteScenario(
    name: "UDP final straight from Trying", reliable: false,
    steps: [request, (.response(404), udp200, .completed)]),
  ServerNonInviteScenario(
    name: "TCP final: J is zero so the transaction terminates at once", reliable: true,
    steps: [
      request,
      (.response(100), [.sendLastResponse], .proceeding),
      (.response(200), [.sendLastResponse, .terminate], .terminated),
      (.request, [], .terminated),
    ]),
  ServerNonInviteScenario(
    name: "status codes outside 100-699 are ignored", reliable: false,
    steps: [request, (.response(99), [], .trying), (.response(700), [], .trying)]),
  ServerNonInviteScenario(
    name: "transport error in Trying is ignored (nothing sent yet)", reliable: false,
    steps: [request, (.transportFailure, [], .trying)]),
  ServerNonInviteScenario(
    name: "transport error in Proceeding", reliable: true,
    steps: [
      request,
      (.response(100), [.sendLastResponse], .proceeding),
      (.transportFailure, [.transportError, .terminate], .terminated),
    ]),
  ServerNonInviteScenario(
    name: "transport error in Completed", reliable: false,
    steps: [
      request, (.response(200), udp200, .completed),
      (.transportFailure, [.transportError, .terminate], .terminated),
      (.transportFailure, [], .terminated),
    ]),
]

@Suite("ServerNonInviteTransaction (RFC 3261 §17.2.2)")
struct ServerNonInviteTransactionTests {
  @Test(arguments: serverNonInviteScenarios)
  func transitions(_ scenario: ServerNonInviteScenario) {
    var transaction = ServerNonInviteTransaction(reliable: scenario.reliable)
    #expect(transaction.state == .trying)
    for (index, step) in scenario.steps.enumerated() {
      let actions = transaction.apply(step.input)
      #expect(actions == step.actions, "step \(index): \(step.input)")
      #expect(transaction.state == step.state, "step \(index): \(step.input)")
    }
  }

  @Test(
    "only J in Completed is live; every other timer is stale",
    arguments: [
      [ServerNonInviteInput.request],
      [.request, .response(100)],
      [.request, .response(200)],
      [.request, .response(200), .fire(.J)],
    ])
  func staleTimers(_ path: [ServerNonInviteInput]) {
    var reached = ServerNonInviteTransaction(reliable: false)
    for input in path { _ = reached.apply(input) }
    for timer in TransactionTimer.allCases {
      var transaction = reached
      let actions = transaction.timerFired(timer)
      if reached.state == .completed && timer == .J {
        #expect(actions == [.terminate])
      } else {
        #expect(actions == [], "\(timer) is stale")
        #expect(transaction.state == reached.state, "\(timer) is stale")
      }
    }
  }

  @Test("custom T1 sets J")
  func customTimerValues() {
    var transaction = ServerNonInviteTransaction(
      reliable: false, timers: TimerValues(t1: 100, t2: 400, t4: 500))
    _ = transaction.receiveRequest()
    #expect(
      transaction.sendResponse(status: 200) == [.sendLastResponse, .startTimer(.J, milliseconds: 6400)])
  }
}
