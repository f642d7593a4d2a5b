import Billing
import Logging
import Policy
import Routing
import SIPCore
import SIPTransaction

/// The RFC 3261 §17 transaction tables and the drivers of their state machines.
extension ProxyCore {
  func newServerTransaction(
    _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint
  ) -> ServerTransactionRecord {
    let reliable = source.transport.isReliable
    let machine: ServerTransactionRecord.Machine =
      method == .invite
      ? .invite(ServerInviteTransaction(reliable: reliable, timers: configuration.timers))
      : .nonInvite(ServerNonInviteTransaction(reliable: reliable, timers: configuration.timers))
    let destination: Endpoint =
      if reliable || via.hasRport {
        source
      } else {
        Endpoint(transport: .udp, host: source.host, port: via.port ?? 5060)
      }
    tagCounter &+= 1
    let record = ServerTransactionRecord(
      machine: machine, key: key, responseDestination: destination, source: source,
      requestBytes: request.originalBytes, localTag: processTag + String(tagCounter, radix: 36))
    servers[key] = record
    startDeadline(record)
    // The first copy goes to the TU; the machine's own passRequestToTU is implied.
    _ = requestArrived(record)
    return record
  }

  func serverKey(_ request: SIPMessage, via: Via, method: SIPMethod) -> TransactionKey {
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

  func respondLocally(
    _ record: ServerTransactionRecord, _ status: Int, _ reason: String, extra: [(String, String)] = []
  ) {
    guard let bytes = localResponse(record, status, reason, withTag: status > 100, extra: extra) else {
      return
    }
    counters.locallyAnswered += 1
    record.lastResponse = bytes
    run(serverSendResponse(record, status: status), on: record)
  }

  func localResponse(
    _ record: ServerTransactionRecord, _ status: Int, _ reason: String, withTag: Bool,
    extra: [(String, String)] = []
  ) -> [UInt8]? {
    var headers = extra
    if !configuration.serverHeader.isEmpty { headers.append(("Server", configuration.serverHeader)) }
    return record.requestBytes.withUnsafeBytes { bytes in
      SIPResponseBuilder.response(
        to: bytes, head: RawSIPHead(scanning: bytes), status: status, reason: reason,
        toTag: withTag ? record.localTag : nil, source: record.source, extraHeaders: headers)
    }
  }

  // Machine calls: each steps the record's machine in place and returns its actions.

  func step(
    _ record: ServerTransactionRecord, invite: (inout ServerInviteTransaction) -> [TransactionAction],
    nonInvite: (inout ServerNonInviteTransaction) -> [TransactionAction]
  ) -> [TransactionAction] {
    switch record.machine {
    case .invite(var machine):
      defer { record.machine = .invite(machine) }
      return invite(&machine)
    case .nonInvite(var machine):
      defer { record.machine = .nonInvite(machine) }
      return nonInvite(&machine)
    }
  }

  func step(
    _ record: ClientTransactionRecord, invite: (inout ClientInviteTransaction) -> [TransactionAction],
    nonInvite: (inout ClientNonInviteTransaction) -> [TransactionAction]
  ) -> [TransactionAction] {
    switch record.machine {
    case .invite(var machine):
      defer { record.machine = .invite(machine) }
      return invite(&machine)
    case .nonInvite(var machine):
      defer { record.machine = .nonInvite(machine) }
      return nonInvite(&machine)
    }
  }

  func serverSendResponse(_ record: ServerTransactionRecord, status: Int) -> [TransactionAction] {
    record.lastStatus = max(record.lastStatus, status)
    if status >= 200 { record.requestBytes = [] }
    return step(
      record, invite: { $0.sendResponse(status: status) }, nonInvite: { $0.sendResponse(status: status) })
  }

  func requestArrived(_ record: ServerTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.receiveRequest() }, nonInvite: { $0.receiveRequest() })
  }

  func receiveACK(_ record: ServerTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.receiveACK() }, nonInvite: { _ in [] })
  }

  func fire(_ record: ServerTransactionRecord, _ timer: TransactionTimer) -> [TransactionAction] {
    step(record, invite: { $0.timerFired(timer) }, nonInvite: { $0.timerFired(timer) })
  }

  func clientStart(_ record: ClientTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.start() }, nonInvite: { $0.start() })
  }

  func clientReceive(_ record: ClientTransactionRecord, status: Int) -> [TransactionAction] {
    step(
      record, invite: { $0.receive(responseStatus: status) },
      nonInvite: { $0.receive(responseStatus: status) })
  }

  func fire(_ record: ClientTransactionRecord, _ timer: TransactionTimer) -> [TransactionAction] {
    step(record, invite: { $0.timerFired(timer) }, nonInvite: { $0.timerFired(timer) })
  }

  func transportFailed(_ record: ClientTransactionRecord) -> [TransactionAction] {
    step(record, invite: { $0.transportFailed() }, nonInvite: { $0.transportFailed() })
  }

  // Action drivers.

  func run(_ actions: [TransactionAction], on record: ServerTransactionRecord) {
    for action in actions {
      switch action {
      case .sendLastResponse:
        if !record.lastResponse.isEmpty {
          sender.send(.bytes(record.lastResponse), to: record.responseDestination)
        }
        // In Accepted the switch relays the UAS's own 2xx retransmissions; it keeps no copy.
        if record.isInvite, (200..<300).contains(record.lastStatus) { record.lastResponse = [] }
      case .startTimer(let timer, let milliseconds):
        if let old = record.timers[timer] { timerWheel.cancel(old) }
        record.timers[timer] = schedule(.server(record, timer), afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = record.timers.removeValue(forKey: timer) { timerWheel.cancel(old) }
      case .timeout:
        counters.transactionTimeouts += 1
      case .terminate:
        terminate(record)
      case .sendRequest, .sendACK, .passResponseToTU, .passRequestToTU, .transportError:
        break
      }
    }
  }

  func run(_ actions: [TransactionAction], on record: ClientTransactionRecord, response: SIPMessage?) {
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
        if let response { responseFromBranch(record, status: response.statusCode, response: response) }
      case .startTimer(let timer, let milliseconds):
        if let old = record.timers[timer] { timerWheel.cancel(old) }
        record.timers[timer] = schedule(.client(record, timer), afterMs: milliseconds)
      case .cancelTimer(let timer):
        if let old = record.timers.removeValue(forKey: timer) { timerWheel.cancel(old) }
      case .timeout:
        counters.transactionTimeouts += 1
        if !record.receivedFinal { responseFromBranch(record, status: 408, response: nil) }
      case .transportError:
        if !record.receivedFinal { responseFromBranch(record, status: 503, response: nil) }
      case .terminate:
        terminate(record)
      case .sendLastResponse, .passRequestToTU:
        break
      }
    }
  }

  func terminate(_ record: ServerTransactionRecord) {
    guard !record.isTerminated else { return }
    record.isTerminated = true
    for id in record.timers.values { timerWheel.cancel(id) }
    record.timers.removeAll()
    if let deadline = record.deadline { timerWheel.cancel(deadline) }
    record.deadline = nil
    record.context = nil
    record.forwarded = nil
    if servers[record.key] === record { servers.removeValue(forKey: record.key) }
  }

  func terminate(_ record: ClientTransactionRecord) {
    guard !record.isTerminated else { return }
    record.isTerminated = true
    for id in record.timers.values { timerWheel.cancel(id) }
    record.timers.removeAll()
    if let timer = record.timerC { timerWheel.cancel(timer) }
    record.timerC = nil
    if let deadline = record.deadline { timerWheel.cancel(deadline) }
    record.deadline = nil
    // A branch and its context hold each other: the context lets go of an ended branch.
    if case .invite(let context) = record.owner, context.branch === record { context.branch = nil }
    if clients[record.key] === record { clients.removeValue(forKey: record.key) }
  }

  /// The wheel counts from its last `expire`; timers start from now.
  func schedule(_ event: TimerEvent, afterMs: Int64) -> TimerID {
    timerWheel.schedule(event, afterMs: afterMs + max(0, clock.monotonicMs - timerWheel.nowMs))
  }
}
