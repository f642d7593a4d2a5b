import SIPCore
import SIPTransaction

/// The core's side of its server transactions: creating one for a new
/// request, answering it locally, relaying a response upstream through it.
extension ProxyCore {
  func newServerTransaction(
    _ request: SIPMessage, key: TransactionKey, via: Via, method: SIPMethod, source: Endpoint
  ) -> ServerTransactionRecord {
    let machine = ServerTransactionMachine(
      invite: method == .invite, reliable: source.transport.isReliable, timers: configuration.timers)
    tagCounter &+= 1
    let record = ServerTransactionRecord(
      machine: machine, key: key,
      responseDestination: TransactionLayer.responseDestination(source: source, via: via), source: source,
      requestBytes: request.originalBytes, localTag: processTag + String(tagCounter, radix: 36))
    // The first copy goes to the TU; the machine's own passRequestToTU is implied.
    transactions.add(record)
    return record
  }

  func respondLocally(
    _ record: ServerTransactionRecord, _ status: Int, _ reason: String, extra: [(String, String)] = []
  ) {
    guard let bytes = localResponse(record, status, reason, withTag: status > 100, extra: extra) else {
      return
    }
    tally.locallyAnswered += 1
    transactions.respond(record, bytes: bytes, status: status)
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

  /// Sends a downstream response upstream through the server transaction,
  /// with this switch's Via removed (§16.7 step 9).
  func relay(
    _ response: SIPMessage, status: Int, alreadyStripped: Bool = false, to server: ServerTransactionRecord
  ) {
    // A final already went up (a deadline answered first): nothing more to say,
    // but for 2xx retransmissions through an INVITE transaction in Accepted.
    let retransmitted2xx =
      server.isInvite && (200..<300).contains(server.lastStatus) && (200..<300).contains(status)
    if server.isTerminated || (server.hasFinalResponse && !retransmitted2xx) { return }
    if !alreadyStripped { response.removeTopVia() }
    transactions.respond(server, bytes: response.serialized(), status: status)
  }
}
