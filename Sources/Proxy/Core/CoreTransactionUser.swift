import SIPCore
import SIPTransaction

/// The proxy core as the transaction layer's user: each report goes to the
/// core's handler for it. A separate object so that the core's public
/// surface stays the daemon's; the core keeps it alive.
final class CoreTransactionUser: TransactionUser {
  unowned(unsafe) let core: ProxyCore

  init(core: ProxyCore) { self.core = core }

  func requestArrived(
    _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint, local: Endpoint
  ) {
    core.receiveRequest(request, key: key, via: via, method: method, source: source, local: local)
  }

  func responseArrived(_ response: SIPMessage, on transaction: ClientTransaction) {
    core.responseFromBranch(ProxyCore.record(transaction), status: response.statusCode, response: response)
  }

  func strayResponseArrived(_ response: SIPMessage, branch: String, method: String) {
    core.receiveStrayResponse(response, branch: branch, method: method)
  }

  func timedOut(_ transaction: ClientTransaction) {
    let record = ProxyCore.record(transaction)
    if !record.receivedFinal { core.responseFromBranch(record, status: 408, response: nil) }
  }

  func transportFailed(_ transaction: ClientTransaction) {
    let record = ProxyCore.record(transaction)
    if !record.receivedFinal { core.responseFromBranch(record, status: 503, response: nil) }
  }

  func deadlinePassed(_ transaction: ClientTransaction) {
    core.clientDeadlinePassed(ProxyCore.record(transaction))
  }

  func deadlinePassed(_ transaction: ServerTransaction) {
    core.serverDeadlinePassed(ProxyCore.record(transaction))
  }

  func terminated(_ transaction: ServerTransaction) {
    let record = ProxyCore.record(transaction)
    record.context = nil
    record.forwarded = nil
  }

  func terminated(_ transaction: ClientTransaction) {
    let record = ProxyCore.record(transaction)
    if let timer = record.timerC { core.timers.cancel(timer) }
    record.timerC = nil
    // A branch and its context hold each other: the context lets go of an ended branch.
    if case .invite(let context) = record.owner {
      if context.branch === record { context.branch = nil }
      if let fork = context.fork { fork.branches.removeAll { $0 === record } }
      if context.winner === record { context.winner = nil }
    }
  }
}
