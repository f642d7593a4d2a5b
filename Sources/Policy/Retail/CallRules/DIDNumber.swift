/// A `phone_numbers` row as a destination of inbound calls (a DID): its
/// owner, whether calls to it are taken, and its owner's call rules in the
/// order they are considered (docs/dids.md).
public struct DIDNumber: Sendable, Equatable {
  /// `phone_numbers.status` (seed 000 `phone_number_status`).
  public enum Status: String, Sendable, CaseIterable {
    case active, inactive, porting, released
  }

  public var id: String
  /// `number`, normalised (`DIDDirectory.normalized`).
  public var number: String
  /// `user_id`; nil: the number belongs to nobody (not delivered).
  public var userID: String?
  public var status: Status
  /// `type = 'toll_free'`: the owner pays the inbound leg (docs/dids.md).
  public var isTollFree: Bool
  /// The number's active call rules, by priority then id.
  public var rules: [CallRule]

  public init(
    id: String, number: String, userID: String?, status: Status = .active, isTollFree: Bool = false,
    rules: [CallRule] = []
  ) {
    self.id = id
    self.number = DIDDirectory.normalized(number)
    self.userID = userID
    self.status = status
    self.isTollFree = isTollFree
    self.rules = rules.sorted(by: CallRule.precedes)
  }

  /// The answer to a call for this number when it is not delivered (a
  /// number of ours that is not `active`, or has no owner), else nil:
  /// - `released`: 410 Gone (RFC 3261 §21.4.11: the number existed and is
  ///   no more; no forwarding address is known);
  /// - `porting`, `inactive`, no owner: 480 Temporarily Unavailable
  ///   (§21.4.18: the number is ours but cannot be reached now; a carrier
  ///   may retry later or elsewhere).
  public var refusal: (status: Int, reason: String)? {
    switch status {
    case .released: return (410, "Number Released")
    case .porting: return (480, "Number Porting")
    case .inactive: return (480, "Number Inactive")
    case .active: return userID == nil ? (480, "Number Unassigned") : nil
    }
  }
}
