import SIPCore

/// What the transaction layer tells the element above it (the TU of RFC 3261
/// §17: a proxy core, a UA core). Called on the layer's thread, from
/// `TransactionLayer.receive` and `TransactionLayer.fire`.
public protocol TransactionUser: AnyObject {
  /// A request that no server transaction absorbed: a new request (the TU
  /// may create its transaction with `TransactionLayer.add`) or an ACK that
  /// is not for a non-2xx final of ours (an ACK for a 2xx is end-to-end).
  func requestArrived(
    _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint, local: Endpoint
  )
  /// A response for `transaction`, passed up by its machine.
  func responseArrived(_ response: SIPMessage, on transaction: ClientTransaction)
  /// A response that matches no client transaction (§17.1.3), with its
  /// top Via's branch and its CSeq method.
  func strayResponseArrived(_ response: SIPMessage, branch: String, method: String)
  /// Timer B or F fired with no final response: act as on a 408 (§16.7 step 6, §8.1.3.1).
  func timedOut(_ transaction: ClientTransaction)
  /// The transport could not send the transaction's request (§17.1.4).
  func transportFailed(_ transaction: ClientTransaction)
  /// The client transaction's backstop deadline passed while it still waits
  /// for a final response; the TU gives it up (and terminates it).
  func deadlinePassed(_ transaction: ClientTransaction)
  /// The server transaction's backstop deadline passed with no final
  /// response; the TU answers it now if it can. Unanswered, it is terminated.
  func deadlinePassed(_ transaction: ServerTransaction)
  /// The transaction left the table; the TU lets go of what it hangs on it.
  func terminated(_ transaction: ServerTransaction)
  func terminated(_ transaction: ClientTransaction)
}
