import Billing

extension CallSummary {
  /// The `calls` row for this call (docs/database.md gives the status mapping).
  public var callRecord: CallRecord {
    let answered = outcome == .answered
    return CallRecord(
      uuid: recordID, direction: .outbound, fromNumber: fromUser, toNumber: toUser,
      originalFromNumber: originalFromUser, originalToNumber: originalToUser,
      status: CallRecord.status(answered: answered, sipStatus: answered ? 200 : finalStatus),
      durationSeconds: durationSeconds, callSID: callID, startedUnixMs: startedUnixMs,
      answeredUnixMs: answeredUnixMs, endedUnixMs: endedUnixMs, ingressCarrierID: ingress?.carrierID,
      ingressInterconnectID: ingress?.interconnectID, ingressServiceID: ingress?.serviceID,
      egressCarrierID: egress?.carrierID, egressInterconnectID: egress?.interconnectID,
      egressServiceID: egress?.serviceID, sipStatus: finalStatus, routesTried: attempts,
      sourceAddress: source.description, destinationAddress: destination?.description, endedBy: endedBy)
  }
}
