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
  /// The forwarded leg, when some of the call's targets forward it.
  public var forwardedLeg: ForwardedLeg?
  /// The devices ring until this monotonic instant (a `forward_no_answer`
  /// rule's timeout), then the forwarded leg is tried.
  public var ringUntilMs: Int64?
  /// The statuses of the last device that move the call on to the
  /// forwarded leg (busy: 486, 600; no answer: 408 when the ringing time is
  /// up; unavailable: 404, 408, 480, 5xx). Empty when the leg is the only one.
  public var forwardOn: Set<Int> = []

  public init(
    userID: String, phoneNumberID: String, forwardedLeg: ForwardedLeg? = nil, ringUntilMs: Int64? = nil
  ) {
    self.userID = userID
    self.phoneNumberID = phoneNumberID
    self.forwardedLeg = forwardedLeg
    self.ringUntilMs = ringUntilMs
  }
}
