import SIPCore
import SIPTransaction

/// One server transaction as the proxy core knows it: the transaction
/// layer's `ServerTransaction` plus what the core hangs on it.
final class ServerTransactionRecord: ServerTransaction {
  /// The proxy's context for a forwarded INVITE.
  var context: InviteContext?
  /// A forwarded non-INVITE request's client transaction.
  var forwarded: ClientTransactionRecord?
  /// Our To tag, for final responses the switch builds itself.
  let localTag: String

  init(
    machine: ServerTransactionMachine, key: TransactionKey, responseDestination: Endpoint, source: Endpoint,
    requestBytes: [UInt8], localTag: String
  ) {
    self.localTag = localTag
    super.init(
      machine: machine, key: key, responseDestination: responseDestination, source: source,
      requestBytes: requestBytes)
  }
}
