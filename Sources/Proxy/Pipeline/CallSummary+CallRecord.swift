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
      uuid: recordID, direction: direction, fromNumber: fromUser, toNumber: toUser,
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
    record.parentCallUUID = parentCallUUID
    return record
  }

  /// A call to a DID that was forwarded (docs/dids.md): the inbound leg's
  /// summary (the carrier's side only) and the forwarded leg's (the owner's
  /// call to `forward_to`, through the supplier, linked to the inbound row).
  /// Nil when the call has no forwarded leg or none of its targets was tried.
  func forwardedLegs(legCharges: [AccountCharge]) -> (inbound: CallSummary, leg: CallSummary)? {
    guard let forwarded = forwardedLeg, forwardedLegTried else { return nil }
    var inbound = self
    inbound.egress = nil
    inbound.rating.supplier = nil
    var leg = self
    leg.recordID = forwarded.recordID
    leg.direction = .outbound
    leg.parentCallUUID = recordID
    leg.ingress = forwarded.ingress
    leg.userID = forwarded.userID
    leg.rating.customer = forwarded.customerQuote
    leg.charges = legCharges
    leg.fromUser = fromUser
    leg.toUser = forwarded.calledNumber
    leg.originalToUser = toUser
    leg.forwardedLeg = nil
    return (inbound, leg)
  }
}
