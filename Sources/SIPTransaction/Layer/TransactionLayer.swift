import SIPCore

/// The transaction layer of RFC 3261 §17 for one thread: the server and
/// client transaction tables, the matching of messages to them (§17.1.3,
/// §17.2.3), the drivers that carry out their machines' actions (sends
/// through `MessageSender`, timers through a `TransactionTimerScheduler`),
/// termination, and the backstop deadlines (`TransactionLayer+Deadlines`).
/// What the machines pass up goes to its `TransactionUser`.
///
/// It reads no clock and opens no socket. The user creates the transactions
/// (its own subclasses, `add` and `register`) and owns the timing wheel.
public final class TransactionLayer {
  /// What the layer needs to know beyond the messages.
  public struct Configuration: Sendable {
    /// T1, T2, T4 (RFC 3261 Table 4).
    public var timers: TimerValues
    /// How long the TU lets an INVITE client transaction wait for a final
    /// response once it rang (a proxy's Timer C, §16.6): part of its backstop.
    public var inviteTimeoutMs: Int64

    public init(timers: TimerValues = .rfc3261, inviteTimeoutMs: Int64 = 180_000) {
      self.timers = timers
      self.inviteTimeoutMs = inviteTimeoutMs
    }
  }

  public let configuration: Configuration
  // `@exclusivity(unchecked)`: every access to these is one statement that
  // calls out to nothing (a lookup, an insert, a removal, a count), on the
  // one thread that owns the layer; the runtime's checks of each cost about
  // 80 instructions, several times per message (callgrind, proxy-bench).
  @exclusivity(unchecked) public private(set) var servers: [TransactionKey: ServerTransaction] = [:]
  @exclusivity(unchecked) public private(set) var clients: [TransactionKey: ClientTransaction] = [:]
  @exclusivity(unchecked) public internal(set) var counters = TransactionCounters()
  /// The element above; it owns the layer, so the layer does not retain it.
  public unowned(unsafe) var user: (any TransactionUser)?
  let sender: any MessageSender
  let scheduler: any TransactionTimerScheduler

  public init(
    configuration: Configuration, sender: any MessageSender, scheduler: any TransactionTimerScheduler
  ) {
    self.configuration = configuration
    self.sender = sender
    self.scheduler = scheduler
  }

  // MARK: Matching

  /// The key of the server transaction `request` belongs to (§17.2.3).
  public static func serverKey(_ request: SIPMessage, via: Via, method: SIPMethod) -> TransactionKey {
    let name = method.description
    if via.hasRFC3261Branch, let branch = via.branch {
      return .server(branch: branch, sentBy: via.sentBy, method: name)
    }
    // RFC 2543 peers (§17.2.3): match on the request's identity instead.
    let identity = [
      request.callID ?? "", request.fromTag ?? "", String(request.cseq?.number ?? 0),
      request.requestURIText ?? "",
    ].joined(separator: "|")
    return .server(branch: "2543|" + identity, sentBy: via.sentBy, method: name)
  }

  /// Where a server transaction's responses go (§18.2.2, RFC 3581): back
  /// to the source over a reliable transport or with `rport`, else to the
  /// Via's port at the source address.
  public static func responseDestination(source: Endpoint, via: Via) -> Endpoint {
    if source.transport.isReliable || via.hasRport { return source }
    return Endpoint(transport: .udp, host: source.host, port: via.port ?? 5060)
  }

  /// A request from the transport (its top Via already read): a
  /// retransmission is absorbed by its server transaction (§17.2.1,
  /// §17.2.2), an ACK for a non-2xx final of ours ends up in its INVITE
  /// transaction, anything else goes to the user.
  public func receive(_ request: SIPMessage, method: SIPMethod, via: Via, source: Endpoint, local: Endpoint) {
    let key = Self.serverKey(request, via: via, method: method)
    if let record = servers[key] {
      if method == .ack {
        // An ACK for a non-2xx final belongs to the INVITE server transaction (§17.2.1).
        // An ACK for a 2xx is end-to-end and goes to the user (RFC 6026 Accepted state).
        if record.isInvite, !(200..<300).contains(record.lastStatus) {
          run(record.machine.step(.ack), on: record)
          return
        }
      } else {
        counters.retransmissionsAbsorbed += 1
        run(record.machine.step(.request), on: record)
        return
      }
    }
    user?.requestArrived(request, key: key, via: via, method: method, source: source, local: local)
  }

  /// A response from the transport: to its client transaction (§17.1.3),
  /// else to the user as a stray.
  public func receive(_ response: SIPMessage) {
    guard let via = response.topVia, let branch = via.branch, let cseq = response.cseq else { return }
    guard let record = clients[.client(branch: branch, method: cseq.method)] else {
      user?.strayResponseArrived(response, branch: branch, method: cseq.method)
      return
    }
    run(record.machine.step(.response(status: response.statusCode)), on: record, response: response)
  }

  /// A send to `destination` failed: every live client transaction to it hears of it.
  public func transportFailed(to destination: Endpoint) {
    let affected = clients.values.filter { $0.destination == destination && !$0.isTerminated }
    for record in affected {
      run(record.machine.step(.transportFailure), on: record, response: nil)
    }
  }

  // MARK: Server transactions

  /// Enters a new server transaction (its first request just arrived) in
  /// the table with its deadline. The first request is the user's already.
  public func add(_ record: ServerTransaction) {
    servers[record.key] = record
    startDeadline(record)
    _ = record.machine.step(.request)
  }

  /// The user passes a response (its bytes, its status) to the transaction.
  public func respond(_ record: ServerTransaction, bytes: [UInt8], status: Int) {
    record.lastResponse = bytes
    record.lastStatus = max(record.lastStatus, status)
    if status >= 200 { record.requestBytes = [] }
    run(record.machine.step(.response(status: status)), on: record)
  }

  /// Ends a server transaction now: its timers stop, it leaves the table.
  public func terminate(_ record: ServerTransaction) {
    guard !record.isTerminated else { return }
    record.isTerminated = true
    for id in record.timers.values { scheduler.cancel(id) }
    record.timers.removeAll()
    if let deadline = record.deadline { scheduler.cancel(deadline) }
    record.deadline = nil
    user?.terminated(record)
    if servers[record.key] === record { servers.removeValue(forKey: record.key) }
  }

  // MARK: Client transactions

  /// Enters a client transaction in the table with its deadline; `start` sends it.
  public func register(_ record: ClientTransaction) {
    clients[record.key] = record
    startDeadline(record)
  }

  /// The user hands the request to its transaction: sent, timers started.
  public func start(_ record: ClientTransaction) {
    run(record.machine.step(.start), on: record, response: nil)
  }

  /// Ends a client transaction now: its timers stop, it leaves the table.
  public func terminate(_ record: ClientTransaction) {
    guard !record.isTerminated else { return }
    record.isTerminated = true
    for id in record.timers.values { scheduler.cancel(id) }
    record.timers.removeAll()
    if let deadline = record.deadline { scheduler.cancel(deadline) }
    record.deadline = nil
    user?.terminated(record)
    if clients[record.key] === record { clients.removeValue(forKey: record.key) }
  }

  // MARK: Timers

  /// One of the layer's timers is due (the wheel's owner hands it back).
  public func fire(_ event: TransactionTimerEvent) {
    switch event {
    case .server(let record, let timer):
      guard !record.isTerminated, record.timers.removeValue(forKey: timer) != nil else { return }
      run(record.machine.step(.timer(timer)), on: record)
    case .client(let record, let timer):
      guard !record.isTerminated, record.timers.removeValue(forKey: timer) != nil else { return }
      run(record.machine.step(.timer(timer)), on: record, response: nil)
    case .serverDeadline(let record):
      record.deadline = nil
      guard !record.isTerminated else { return }
      deadlinePassed(record)
    case .clientDeadline(let record):
      record.deadline = nil
      guard !record.isTerminated else { return }
      deadlinePassed(record)
    }
  }

  /// Gives back the memory of tables mostly emptied since a flood.
  public func compact() {
    servers.shrinkIfSparse()
    clients.shrinkIfSparse()
  }

  // MARK: Drivers

  func run(_ actions: [TransactionAction], on record: ServerTransaction) {
    for action in actions {
      switch action {
      case .sendLastResponse:
        if !record.lastResponse.isEmpty {
          sender.send(.bytes(record.lastResponse), to: record.responseDestination)
        }
        // In Accepted the switch relays the UAS's own 2xx retransmissions; it keeps no copy.
        if record.isInvite, (200..<300).contains(record.lastStatus) { record.lastResponse = [] }
      case .startTimer(let timer, let milliseconds):
        if let old = record.timers[timer] { scheduler.cancel(old) }
        record.timers[timer] = scheduler.schedule(.server(record, timer), afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = record.timers.removeValue(forKey: timer) { scheduler.cancel(old) }
      case .timeout:
        counters.timeouts += 1
      case .terminate:
        terminate(record)
      case .sendRequest, .sendACK, .passResponseToTU, .passRequestToTU, .transportError:
        break
      }
    }
  }

  func run(_ actions: [TransactionAction], on record: ClientTransaction, response: SIPMessage?) {
    for action in actions {
      switch action {
      case .sendRequest:
        sender.send(.bytes(record.request), to: record.destination)
      case .sendACK:
        if record.ack == nil, let response {
          record.ack = response.withOriginalBytes {
            SIPRequestBuilder.ack(forInvite: record.request, response: $0)
          }
          record.request = []
        }
        if let ack = record.ack { sender.send(.bytes(ack), to: record.destination) }
      case .passResponseToTU:
        if let response { user?.responseArrived(response, on: record) }
      case .startTimer(let timer, let milliseconds):
        if let old = record.timers[timer] { scheduler.cancel(old) }
        record.timers[timer] = scheduler.schedule(.client(record, timer), afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = record.timers.removeValue(forKey: timer) { scheduler.cancel(old) }
      case .timeout:
        counters.timeouts += 1
        user?.timedOut(record)
      case .transportError:
        user?.transportFailed(record)
      case .terminate:
        terminate(record)
      case .sendLastResponse, .passRequestToTU:
        break
      }
    }
  }
}
