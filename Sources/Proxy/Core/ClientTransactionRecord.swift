import SIPCore
import SIPTransaction

/// One client transaction as the proxy core knows it: the transaction
/// layer's `ClientTransaction` plus whom it reports to and what the core
/// knows of its responses.
final class ClientTransactionRecord: ClientTransaction {
  enum Owner {
    /// A branch of a forwarded INVITE.
    case invite(InviteContext)
    /// A forwarded non-INVITE request (BYE, re-INVITE's friends...).
    case relay(ServerTransactionRecord)
    /// A CANCEL the switch sent on its own; its response is absorbed.
    case cancel
    /// A request the switch sent on its own (a BYE ending a call); its response is absorbed.
    case local
    /// An OPTIONS probe of a supplier interconnect (`ProxyCore+Probes`).
    case probe(String)
  }

  var owner: Owner
  /// Set on a forwarded BYE: the dialog its final response ends.
  var endsDialog: DialogKey?
  /// Set on a forwarded re-INVITE or UPDATE: its 2xx refreshes this dialog's session timer.
  var refreshesDialog: DialogKey?
  /// The target this branch of an initial INVITE tries.
  var target: RouteTarget?
  var timerC: TimerID?
  // The flags below are read on every response of a branch, and each
  // access is one load or store: `@exclusivity(unchecked)`, as the
  // transaction's own `machine`.
  @exclusivity(unchecked) var receivedProvisional = false
  @exclusivity(unchecked) var receivedFinal = false
  /// CANCEL wanted before any provisional arrived (§9.1: wait for one).
  @exclusivity(unchecked) var cancelPending = false
  @exclusivity(unchecked) var cancelSent = false
  /// A late 2xx of this branch (not the call's answer) was ACKed and BYEd.
  @exclusivity(unchecked) var lateAnswerEnded = false

  init(
    machine: ClientTransactionMachine, key: TransactionKey, branch: String, destination: Endpoint,
    request: [UInt8], owner: Owner
  ) {
    self.owner = owner
    super.init(machine: machine, key: key, branch: branch, destination: destination, request: request)
  }
}
