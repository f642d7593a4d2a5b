/// A call an interconnect delivered to one of this switch's numbers (a
/// DID, docs/dids.md): whose number it is, and, when the owner's call rules
/// forward it to a number or a SIP URI, the forwarded leg. The proxy core
/// writes the inbound row (`direction = 'inbound'`, the DID's `user_id` and
/// `phone_number_id`) and, once a forwarded target was tried, a second row
/// for the forwarded leg linked to it (`calls.parent_call_uuid`).
public struct InboundCall: Sendable, Equatable {
  /// `users.id` of the DID's owner.
  public var userID: String
  /// `phone_numbers.id` of the DID.
  public var phoneNumberID: String
  /// The forwarded leg: from the start when a rule forwards the call at
  /// once (`forward_always`, `forward_unavailable` with no device), else
  /// set when the devices' fork ends unanswered and its `UnansweredHook`
  /// routes the call on (`forward_busy`, `forward_no_answer`,
  /// `forward_unavailable`).
  public var forwardedLeg: ForwardedLeg?

  public init(userID: String, phoneNumberID: String, forwardedLeg: ForwardedLeg? = nil) {
    self.userID = userID
    self.phoneNumberID = phoneNumberID
    self.forwardedLeg = forwardedLeg
  }
}
