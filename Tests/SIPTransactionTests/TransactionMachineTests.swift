import SIPTransaction
import Testing

/// `ServerTransactionMachine` and `ClientTransactionMachine`: one `step`
/// per side drives the INVITE and the non-INVITE machine alike.
@Suite struct TransactionMachineTests {
  @Test func oneServerStepDrivesEitherKind() {
    var options = ServerTransactionMachine(invite: false, reliable: false, timers: .rfc3261)
    #expect(!options.isInvite)
    #expect(options.step(.request) == [.passRequestToTU])
    // A non-INVITE transaction has no ACK to take.
    #expect(options.step(.ack) == [])
    #expect(
      options.step(.response(status: 200)) == [.sendLastResponse, .startTimer(.J, milliseconds: 32_000)])
    var invite = ServerTransactionMachine(invite: true, reliable: true, timers: .rfc3261)
    #expect(invite.isInvite)
    _ = invite.step(.request)
    #expect(
      invite.step(.response(status: 486)) == [.sendLastResponse, .startTimer(.H, milliseconds: 32_000)])
    // Reliable: Timer I is zero, the ACK ends it at once.
    #expect(invite.step(.ack) == [.terminate])
  }

  @Test func oneClientStepDrivesEitherKind() {
    var invite = ClientTransactionMachine(invite: true, reliable: true, timers: .rfc3261)
    #expect(invite.awaitsFinalResponse)
    #expect(invite.step(.start) == [.sendRequest, .startTimer(.B, milliseconds: 32_000)])
    #expect(
      invite.step(.response(status: 200)) == [
        .passResponseToTU, .cancelTimer(.B), .startTimer(.M, milliseconds: 32_000),
      ])
    #expect(!invite.awaitsFinalResponse)
    var bye = ClientTransactionMachine(invite: false, reliable: true, timers: .rfc3261)
    #expect(!bye.isInvite)
    _ = bye.step(.start)
    #expect(bye.step(.timer(.E)) == [])
    #expect(bye.step(.transportFailure) == [.transportError, .terminate])
    #expect(!bye.awaitsFinalResponse)
  }
}
