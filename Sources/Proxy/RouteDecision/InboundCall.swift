import Policy
import Routing

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

/// The forwarded leg of a call to a DID: a call of the DID's owner to the
/// rule's `forward_to`, routed and rated as the owner's own call (its
/// retail ingress service) and charged to the owner's wallet.
public struct ForwardedLeg: Sendable, Equatable {
  /// The leg's own call-record uuid (its credit reservation too).
  public var recordID: String
  /// The `call_rules.id` that forwarded the call.
  public var ruleID: String
  /// The user whose call the leg is (the owner of the chain's last DID),
  /// whose wallet pays it.
  public var userID: String
  /// The owner's retail ingress side (nil for a SIP URI).
  public var ingress: CarrierLeg?
  /// The owner's price for the forwarded number (nil: not rated).
  public var customerQuote: RateQuote?
  /// The number or SIP URI called.
  public var calledNumber: String
  /// The index in `RoutedCall.targets` of the leg's first target: targets
  /// before it are the owner's devices.
  public var firstTarget: Int

  public init(
    recordID: String, ruleID: String, userID: String, ingress: CarrierLeg?, customerQuote: RateQuote?,
    calledNumber: String,
    firstTarget: Int
  ) {
    self.recordID = recordID
    self.ruleID = ruleID
    self.userID = userID
    self.ingress = ingress
    self.customerQuote = customerQuote
    self.calledNumber = calledNumber
    self.firstTarget = firstTarget
  }
}
