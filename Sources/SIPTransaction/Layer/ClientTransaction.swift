import SIPCore

/// One client transaction in the layer's table (RFC 3261 §17.1): its state
/// machine, the bytes it sends and where.
///
/// Open so that a transaction user can keep its own facts on the same object
/// (one allocation per transaction); every member here is final.
open class ClientTransaction {
  @exclusivity(unchecked) public final var machine: ClientTransactionMachine
  public final let key: TransactionKey
  public final let branch: String
  public final let destination: Endpoint
  /// The request as sent, for retransmissions, CANCEL and the ACK; the TU
  /// drops it once a final response makes it useless (the ACK is kept built).
  public final var request: [UInt8]
  /// The hop-by-hop ACK for a non-2xx final, built once, resent on retransmitted finals.
  public final var ack: [UInt8]?
  public final internal(set) var isTerminated = false
  @exclusivity(unchecked) final var timers: [TransactionTimer: TimerID] = [:]
  /// The backstop that ends this transaction whatever its peer does.
  final var deadline: TimerID?
  /// The first backstop passed; the next one terminates.
  public final internal(set) var deadlinePassed = false
  /// A backstop gave this transaction up (counted once).
  public final internal(set) var expired = false

  public init(
    machine: ClientTransactionMachine, key: TransactionKey, branch: String, destination: Endpoint,
    request: [UInt8]
  ) {
    self.machine = machine
    self.key = key
    self.branch = branch
    self.destination = destination
    self.request = request
  }

  public final var isInvite: Bool { machine.isInvite }
  /// No final response has arrived from the wire.
  public final var awaitsFinalResponse: Bool { machine.awaitsFinalResponse }
}
