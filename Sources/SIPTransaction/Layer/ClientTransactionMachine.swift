/// The RFC 3261 §17.1 state machine of one client transaction, INVITE
/// (Figure 5, with RFC 6026's Accepted) or non-INVITE (Figure 6), behind one
/// `step`: the transaction layer drives either kind the same way.
public enum ClientTransactionMachine: Sendable {
  case invite(ClientInviteTransaction)
  case nonInvite(ClientNonInviteTransaction)

  /// What can happen to a client transaction.
  public enum Input: Sendable, Equatable {
    /// The TU hands the request over: send it, start the timers.
    case start
    /// A response with this status matching the transaction.
    case response(status: Int)
    case timer(TransactionTimer)
    /// The transport failed to send the request (or the ACK).
    case transportFailure
  }

  /// A fresh machine for a request of this kind.
  public init(invite: Bool, reliable: Bool, timers: TimerValues) {
    self =
      invite
      ? .invite(ClientInviteTransaction(reliable: reliable, timers: timers))
      : .nonInvite(ClientNonInviteTransaction(reliable: reliable, timers: timers))
  }

  public var isInvite: Bool {
    if case .invite = self { return true }
    return false
  }

  /// No final response has arrived from the wire: the machine still waits for one.
  public var awaitsFinalResponse: Bool {
    switch self {
    case .invite(let machine): machine.state == .calling || machine.state == .proceeding
    case .nonInvite(let machine): machine.state == .trying || machine.state == .proceeding
    }
  }

  /// Feeds `input` to the machine and returns its actions, in order.
  public mutating func step(_ input: Input) -> [TransactionAction] {
    switch self {
    case .invite(var machine):
      let actions: [TransactionAction]
      switch input {
      case .start: actions = machine.start()
      case .response(let status): actions = machine.receive(responseStatus: status)
      case .timer(let timer): actions = machine.timerFired(timer)
      case .transportFailure: actions = machine.transportFailed()
      }
      self = .invite(machine)
      return actions
    case .nonInvite(var machine):
      let actions: [TransactionAction]
      switch input {
      case .start: actions = machine.start()
      case .response(let status): actions = machine.receive(responseStatus: status)
      case .timer(let timer): actions = machine.timerFired(timer)
      case .transportFailure: actions = machine.transportFailed()
      }
      self = .nonInvite(machine)
      return actions
    }
  }
}
