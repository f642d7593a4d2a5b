/// What a transaction state machine asks its driver to do. The machines are
/// pure: they never touch a socket, a clock or a message; the driver owns the
/// messages and timers and carries these out in order.
public enum TransactionAction: Sendable, Equatable {
  /// Client: (re)transmit the request this transaction was created with.
  case sendRequest
  /// Server: (re)transmit the most recent response passed in by the TU.
  case sendLastResponse
  /// Client INVITE: send the hop-by-hop ACK for the non-2xx final response
  /// that was just received (§17.1.1.3).
  case sendACK
  /// Client: pass the response just received up to the TU.
  case passResponseToTU
  /// Server: pass a request up to the TU (only for the first copy; a
  /// retransmission is absorbed). A server INVITE transaction also emits it
  /// for an ACK received in "Accepted" (RFC 6026 §8.7: that ACK is for the
  /// 2xx and belongs to the TU); an ACK for a non-2xx is absorbed.
  case passRequestToTU
  /// Start (or restart) `timer` to fire after `milliseconds`.
  case startTimer(TransactionTimer, milliseconds: Int64)
  /// Cancel `timer` if running.
  case cancelTimer(TransactionTimer)
  /// The transaction timed out. Client (timer B or F): the TU must act as if
  /// a 408 had been received (§16.7 step 6, §8.1.3.1). Server INVITE (timer
  /// H): the ACK for a non-2xx final response never came (§17.2.1).
  case timeout
  /// The transport failed; tell the TU (§17.1.4, §17.2.4).
  case transportError
  /// The transaction is finished: remove it from the table (after cancelling
  /// whatever timers it still has).
  case terminate
}
