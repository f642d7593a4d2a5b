import Logging
import Policy
import SIPCore
import SIPTransaction

/// Supplier health (docs/operations.md): the egress interconnects whose
/// `options_probe` is on get an OPTIONS every interval, from the core's
/// tick; what each probe comes to feeds `supplierHealth`, which routing
/// reads to skip a trunk that is down. Nothing here runs per call.
extension ProxyCore {
  /// From `tick`: once per `roundMs`, the probed set follows the snapshot,
  /// overdue probes fail, due ones go out.
  func probeSuppliersIfDue() {
    let now = clock.monotonicMs
    guard now >= nextProbeRoundMs else { return }
    nextProbeRoundMs = now + configuration.health.roundMs
    let snapshot = (router as? CallPipeline)?.snapshot
    if snapshot !== probedSnapshot {
      probedSnapshot = snapshot
      let targets = snapshot.map {
        ProbeTarget.targets(
          $0.interconnects.values, defaultIntervalMs: configuration.health.defaultIntervalMs)
      }
      supplierHealth.update(targets: targets ?? [], nowMs: now)
      for (id, record) in probesInFlight where !supplierHealth.inFlight(id) {
        transactions.terminate(record)
        probesInFlight[id] = nil
      }
    }
    for (id, change) in supplierHealth.expired(nowMs: now, timeoutMs: configuration.health.timeoutMs) {
      if let record = probesInFlight.removeValue(forKey: id) { transactions.terminate(record) }
      if let change { logHealthChange(id, change) }
    }
    for target in supplierHealth.due(nowMs: now) { sendProbe(target) }
  }

  /// An OPTIONS to `target` in a client non-INVITE transaction of its own
  /// (RFC 3261 §11: OPTIONS outside a dialog, Max-Forwards as for any request).
  private func sendProbe(_ target: ProbeTarget) {
    let peer = target.destination
    let branch = branches.next(loopHash: 0)
    tagCounter &+= 1
    let local = advertised(localEndpoint(for: peer))
    let uriTransport = peer.transport == .udp ? "" : ";transport=\(peer.transport.viaToken.lowercased())"
    let bytes = SIPDialogRequestBuilder.request(
      method: "OPTIONS", requestURI: "sip:\(peer.hostPort)\(uriTransport)", routeSet: [],
      via: via(for: peer, branch: branch),
      from: "<sip:probe@\(local)>;tag=\(processTag)\(String(tagCounter, radix: 36))",
      to: "<sip:\(peer.hostPort)>", callID: "\(branch)@\(local)", cseq: 1,
      maxForwards: configuration.defaultMaxForwards,
      extraHeaders: configuration.serverHeader.isEmpty ? [] : [("User-Agent", configuration.serverHeader)])
    let record = ClientTransactionRecord(
      machine: ClientTransactionMachine(
        invite: false, reliable: peer.transport.isReliable, timers: configuration.timers),
      key: .client(branch: branch, method: "OPTIONS"), branch: branch, destination: peer, request: bytes,
      owner: .probe(target.interconnectID))
    probesInFlight[target.interconnectID] = record
    transactions.register(record)
    transactions.start(record)
  }

  /// A final status for a probe (`fromWire`: a response arrived; else the
  /// layer's 408 for a timeout or 503 for a transport error).
  func probeAnswered(_ record: ClientTransactionRecord, interconnectID: String, status: Int, fromWire: Bool) {
    guard status >= 200, probesInFlight[interconnectID] === record else { return }
    probesInFlight[interconnectID] = nil
    let outcome: ProbeOutcome =
      fromWire ? .response(status) : (status == 408 ? .timedOut : .transportError)
    if let change = supplierHealth.record(interconnectID, outcome) { logHealthChange(interconnectID, change) }
  }

  private func logHealthChange(_ interconnectID: String, _ change: InterconnectHealth.Change) {
    let metadata: Logger.Metadata = [
      "interconnect_id": "\(interconnectID)", "probe": "\(change.outcome.text)",
      "state": "\(change.to.rawValue)",
    ]
    if change.to == .down {
      logger.warning("supplier interconnect down: calls skip it until probes answer", metadata: metadata)
    } else {
      logger.notice("supplier interconnect up again", metadata: metadata)
    }
  }
}
