import Billing
import Routing

extension CallSummary {
  /// The `calls` row for this call (docs/database.md gives the status
  /// mapping, docs/rating.md the charges). An answered call's 2xx is both
  /// the caller's and the supplier's status (the switch relays it as it came).
  public var callRecord: CallRecord {
    let answered = outcome == .answered
    let charges = rating.charges(durationMs: answered ? answeredDurationMs : nil)
    var record = CallRecord(
      uuid: recordID, direction: .outbound, fromNumber: fromUser, toNumber: toUser,
      originalFromNumber: originalFromUser, originalToNumber: originalToUser,
      status: CallRecord.status(
        answered: answered, cancelledByCaller: outcome == .cancelled, sipStatus: answered ? 200 : finalStatus),
      durationSeconds: durationSeconds, durationMs: durationMs, callSID: callID, startedUnixMs: startedUnixMs,
      answeredUnixMs: answeredUnixMs, endedUnixMs: endedUnixMs, ingressCarrierID: ingress?.carrierID,
      ingressInterconnectID: ingress?.interconnectID, ingressServiceID: ingress?.serviceID,
      egressCarrierID: egress?.carrierID, egressInterconnectID: egress?.interconnectID,
      egressServiceID: egress?.serviceID, sipStatus: finalStatus,
      supplierSIPStatus: answered ? finalStatus : supplierStatus, routesTried: attempts,
      sourceAddress: source.description, destinationAddress: destination?.description, endedBy: endedBy,
      customerCharge: rating.customer.flatMap { quote in
        charges.customer.map { CallRecord.RatedSide(quote: quote, charge: $0) }
      },
      supplierCharge: rating.supplier.flatMap { quote in
        charges.supplier.map { CallRecord.RatedSide(quote: quote, charge: $0) }
      }, margin: charges.margin, charges: self.charges)
    record.userID = userID
    record.phoneNumberID = phoneNumberID
    record.ringingUnixMs = ringingUnixMs
    return record
  }
}
