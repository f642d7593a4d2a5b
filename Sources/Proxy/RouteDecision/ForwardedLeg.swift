import Policy
import Routing

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

  public init(
    recordID: String, ruleID: String, userID: String, ingress: CarrierLeg?, customerQuote: RateQuote?,
    calledNumber: String
  ) {
    self.recordID = recordID
    self.ruleID = ruleID
    self.userID = userID
    self.ingress = ingress
    self.customerQuote = customerQuote
    self.calledNumber = calledNumber
  }
}
