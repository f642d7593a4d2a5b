import SIPCore
import SIPTransaction

/// One server transaction in the table: its RFC 3261 §17.2 state machine and
/// what the driver needs to carry out its actions.
final class ServerTransactionRecord {
  enum Machine {
    case invite(ServerInviteTransaction)
    case nonInvite(ServerNonInviteTransaction)
  }

  var machine: Machine
  let key: TransactionKey
  /// Where responses go (§18.2.2, RFC 3581).
  let responseDestination: Endpoint
  /// Where the request came from (for `received`/`rport` on local responses).
  let source: Endpoint
  /// The request's bytes as received (for locally built responses); dropped
  /// once a final response has been sent.
  var requestBytes: [UInt8]
  var lastResponse: [UInt8] = []
  var lastStatus = 0
  var timers: [TransactionTimer: TimerID] = [:]
  /// The proxy's context for a forwarded INVITE.
  var context: InviteContext?
  /// A forwarded non-INVITE request's client transaction.
  var forwarded: ClientTransactionRecord?
  /// Our To tag, for final responses the switch builds itself.
  let localTag: String
  var isTerminated = false
  /// The backstop that ends this transaction whatever its TU does (`ProxyCore+Deadlines`).
  var deadline: TimerID?
  /// The first backstop passed; the next one terminates.
  var deadlinePassed = false
  /// A backstop answered or ended this transaction (counted once).
  var expired = false

  init(
    machine: Machine, key: TransactionKey, responseDestination: Endpoint, source: Endpoint,
    requestBytes: [UInt8],
    localTag: String
  ) {
    self.source = source
    self.machine = machine
    self.key = key
    self.responseDestination = responseDestination
    self.requestBytes = requestBytes
    self.localTag = localTag
  }

  var isInvite: Bool {
    if case .invite = machine { return true }
    return false
  }

  var hasFinalResponse: Bool { lastStatus >= 200 }
}
