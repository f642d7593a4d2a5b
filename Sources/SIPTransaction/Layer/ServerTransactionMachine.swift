/// The RFC 3261 §17.2 state machine of one server transaction, INVITE
/// (Figure 7, with RFC 6026's Accepted) or non-INVITE (Figure 8), behind one
/// `step`: the transaction layer drives either kind the same way.
public enum ServerTransactionMachine: Sendable {
  case invite(ServerInviteTransaction)
  case nonInvite(ServerNonInviteTransaction)

  /// What can happen to a server transaction.
  public enum Input: Sendable, Equatable {
    /// A request matching the transaction: the first copy, then retransmissions.
    case request
    /// The TU passes a response with this status for transmission.
    case response(status: Int)
    /// An ACK matching the transaction (INVITE only; ignored by non-INVITE).
    case ack
    case timer(TransactionTimer)
    /// The transport failed to send one of the transaction's responses.
    case transportFailure
  }

  /// A fresh machine for a request of this kind.
  public init(invite: Bool, reliable: Bool, timers: TimerValues) {
    self =
      invite
      ? .invite(ServerInviteTransaction(reliable: reliable, timers: timers))
      : .nonInvite(ServerNonInviteTransaction(reliable: reliable, timers: timers))
  }

  public var isInvite: Bool {
    if case .invite = self { return true }
    return false
  }

  /// Feeds `input` to the machine and returns its actions, in order.
  public mutating func step(_ input: Input) -> [TransactionAction] {
    switch self {
    case .invite(var machine):
      let actions: [TransactionAction]
      switch input {
      case .request: actions = machine.receiveRequest()
      case .response(let status): actions = machine.sendResponse(status: status)
      case .ack: actions = machine.receiveACK()
      case .timer(let timer): actions = machine.timerFired(timer)
      case .transportFailure: actions = machine.transportFailed()
      }
      self = .invite(machine)
      return actions
    case .nonInvite(var machine):
      let actions: [TransactionAction]
      switch input {
      case .request: actions = machine.receiveRequest()
      case .response(let status): actions = machine.sendResponse(status: status)
      case .ack: actions = []
      case .timer(let timer): actions = machine.timerFired(timer)
      case .transportFailure: actions = machine.transportFailed()
      }
      self = .nonInvite(machine)
      return actions
    }
  }
}
