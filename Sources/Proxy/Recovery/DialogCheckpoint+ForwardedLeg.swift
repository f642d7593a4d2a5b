import Billing
import Policy
import Routing

/// The checkpoint's fields for a call to a DID (docs/dids.md, "Calls up
/// when the switch dies"): its direction and its forwarded leg, so that a
/// restored call ends with both rows and the owner's wallet charged once.
/// All optional: a line written before them reads as an outbound call with
/// no leg, as it was.
///
/// `dir` is `inbound` (absent: outbound); `fl` the leg's record id, rule,
/// user, number and retail ingress (carrier, interconnect, service; three
/// empty items when none); `flq` its customer quote as answered; `flt` 1
/// once one of its targets was tried; `fp0`, `fp1`, ... the leg's credit
/// parties, as `p0`... are the call's.
extension DialogCheckpoint {
  func writeInbound(_ fields: inout CheckpointWriter) {
    if summary.direction == .inbound { fields["dir"] = CallRecord.Direction.inbound.rawValue }
    guard let leg = summary.forwardedLeg else { return }
    let ingress = leg.ingress.map { [$0.carrierID, $0.interconnectID, $0.serviceID] } ?? ["", "", ""]
    fields["fl"] = CheckpointFields.list(
      [leg.recordID, leg.ruleID, leg.userID, leg.calledNumber] + ingress)
    fields["flq"] = leg.customerQuote.map(Self.quote)
    fields["flt"] = summary.forwardedLegTried ? "1" : nil
    for (index, party) in forwardedLegParties.enumerated() {
      fields["fp\(index)"] = CheckpointFields.list([party.account.description] + Self.quoteItems(party.quote))
    }
  }

  /// Reads what `writeInbound` wrote; false when a field present is malformed.
  mutating func readInbound(_ fields: CheckpointFields) -> Bool {
    if let text = fields["dir"] {
      guard let direction = CallRecord.Direction(rawValue: text) else { return false }
      summary.direction = direction
    }
    guard let text = fields["fl"] else { return true }
    let items = CheckpointFields.items(text)
    guard items.count == 7, !items[0].isEmpty, let parties = Self.parties(fields, key: "fp") else {
      return false
    }
    var quote: RateQuote?
    if let text = fields["flq"] {
      guard let read = Self.quote(CheckpointFields.items(text)[...]) else { return false }
      quote = read
    }
    let ingress =
      items[4...].allSatisfy(\.isEmpty)
      ? nil : CarrierLeg(carrierID: items[4], interconnectID: items[5], serviceID: items[6])
    summary.forwardedLeg = ForwardedLeg(
      recordID: items[0], ruleID: items[1], userID: items[2], ingress: ingress, customerQuote: quote,
      calledNumber: items[3])
    summary.forwardedLegTried = fields["flt"] == "1"
    forwardedLegParties = parties
    return true
  }
}
