import SIPCore

/// One server transaction in the layer's table (RFC 3261 §17.2): its state
/// machine and what the layer needs to carry out the machine's actions.
///
/// Open so that a transaction user can keep its own facts on the same object
/// (one allocation per transaction); every member here is final.
open class ServerTransaction {
  @exclusivity(unchecked) public final var machine: ServerTransactionMachine
  public final let key: TransactionKey
  /// Where responses go (§18.2.2, RFC 3581).
  public final let responseDestination: Endpoint
  /// Where the request came from (for `received`/`rport` on local responses).
  public final let source: Endpoint
  /// The request's bytes as received (for responses the TU builds); dropped
  /// once a final response has been sent.
  public final var requestBytes: [UInt8]
  /// The latest response passed in by the TU, sent again on retransmissions.
  public final var lastResponse: [UInt8] = []
  /// The highest status passed in by the TU (0: none yet).
  public final var lastStatus = 0
  public final internal(set) var isTerminated = false
  @exclusivity(unchecked) final var timers: [TransactionTimer: TimerID] = [:]
  /// The backstop that ends this transaction whatever its TU does.
  final var deadline: TimerID?
  /// The first backstop passed; the next one terminates.
  public final internal(set) var deadlinePassed = false
  /// A backstop answered or ended this transaction (counted once).
  public final internal(set) var expired = false

  public init(
    machine: ServerTransactionMachine, key: TransactionKey, responseDestination: Endpoint, source: Endpoint,
    requestBytes: [UInt8]
  ) {
    self.machine = machine
    self.key = key
    self.responseDestination = responseDestination
    self.source = source
    self.requestBytes = requestBytes
  }

  public final var isInvite: Bool { machine.isInvite }
  public final var hasFinalResponse: Bool { lastStatus >= 200 }
}
