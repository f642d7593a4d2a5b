import SIPCore
import SIPTransaction

/// One client transaction in the table: its RFC 3261 §17.1 state machine, the
/// bytes it sends, and whom it reports to.
final class ClientTransactionRecord {
  enum Machine {
    case invite(ClientInviteTransaction)
    case nonInvite(ClientNonInviteTransaction)
  }

  enum Owner {
    /// A branch of a forwarded INVITE.
    case invite(InviteContext)
    /// A forwarded non-INVITE request (BYE, re-INVITE's friends...).
    case relay(ServerTransactionRecord)
    /// A CANCEL the switch sent on its own; its response is absorbed.
    case cancel
    /// A request the switch sent on its own (a BYE ending a call); its response is absorbed.
    case local
  }

  var machine: Machine
  let key: TransactionKey
  let branch: String
  let destination: Endpoint
  /// The request as sent, for retransmissions, CANCEL and the ACK; dropped
  /// once a final response makes it useless (the ACK is kept built instead).
  var request: [UInt8]
  /// The hop-by-hop ACK for a non-2xx final, built once, resent on retransmitted finals.
  var ack: [UInt8]?
  var owner: Owner
  /// Set on a forwarded BYE: the dialog its final response ends.
  var endsDialog: DialogKey?
  /// Set on a forwarded re-INVITE or UPDATE: its 2xx refreshes this dialog's session timer.
  var refreshesDialog: DialogKey?
  /// The target this branch of an initial INVITE tries.
  var target: RouteTarget?
  var timers: [TransactionTimer: TimerID] = [:]
  var timerC: TimerID?
  var receivedProvisional = false
  var receivedFinal = false
  /// CANCEL wanted before any provisional arrived (§9.1: wait for one).
  var cancelPending = false
  var cancelSent = false
  var isTerminated = false
  /// The backstop that ends this transaction whatever its peer does (`ProxyCore+Deadlines`).
  var deadline: TimerID?
  /// The first backstop passed; the next one terminates.
  var deadlinePassed = false
  /// A backstop gave this transaction up (counted once).
  var expired = false

  init(
    machine: Machine, key: TransactionKey, branch: String, destination: Endpoint, request: [UInt8],
    owner: Owner
  ) {
    self.machine = machine
    self.key = key
    self.branch = branch
    self.destination = destination
    self.request = request
    self.owner = owner
  }

  var isInvite: Bool {
    if case .invite = machine { return true }
    return false
  }

  /// No final response has arrived from the wire: the machine still waits for one.
  var awaitsFinalResponse: Bool {
    switch machine {
    case .invite(let machine): machine.state == .calling || machine.state == .proceeding
    case .nonInvite(let machine): machine.state == .trying || machine.state == .proceeding
    }
  }
}
