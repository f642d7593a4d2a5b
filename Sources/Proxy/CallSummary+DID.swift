import Billing

/// `CallSummary`'s fields for calls to DIDs and their forwarded legs: kept
/// in one `Boxed` reference that stays nil for other calls, so the summary
/// every call copies carries 8 bytes of them.
extension CallSummary {
  /// The fields themselves, as their defaults when the box is nil.
  struct DIDFields: Sendable, Equatable {
    var direction = CallRecord.Direction.outbound
    var parentCallUUID: String?
    var forwardedLeg: ForwardedLeg?
    var forwardedLegTried = false
  }

  /// `calls.direction`: `inbound` for a call delivered to a DID (docs/dids.md).
  public var direction: CallRecord.Direction {
    get { didFields?.value.direction ?? .outbound }
    set { changeDIDFields { $0.direction = newValue } }
  }

  /// `calls.parent_call_uuid`: a forwarded leg's inbound call.
  public var parentCallUUID: String? {
    get { didFields?.value.parentCallUUID }
    set { changeDIDFields { $0.parentCallUUID = newValue } }
  }

  /// The forwarded leg of a call to a DID, and whether one of its targets
  /// was tried (then it gets its own row).
  public var forwardedLeg: ForwardedLeg? {
    get { didFields?.value.forwardedLeg }
    set { changeDIDFields { $0.forwardedLeg = newValue } }
  }

  public var forwardedLegTried: Bool {
    get { didFields?.value.forwardedLegTried ?? false }
    set { changeDIDFields { $0.forwardedLegTried = newValue } }
  }

  /// A new box with the change; none when every field is back to its
  /// default, so that equal summaries compare equal.
  private mutating func changeDIDFields(_ change: (inout DIDFields) -> Void) {
    var fields = didFields?.value ?? DIDFields()
    change(&fields)
    didFields = fields == DIDFields() ? nil : Boxed(fields)
  }
}
