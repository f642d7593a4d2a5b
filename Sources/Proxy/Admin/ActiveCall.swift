import Billing
import Policy
import Routing
import SIPCore

/// A call in progress as the admin API shows it (`GET /v1/calls`,
/// docs/admin.md): both legs, its state, its timers and the money its
/// credit reservations hold. A copy, made on the core's loop.
public struct ActiveCall: Sendable, Equatable {
  /// The call record's uuid.
  public var id: String
  public var callID: String
  public var state: CallEvent.State
  public var fromUser: String?
  public var toUser: String?
  public var ingress: CarrierLeg?
  public var egress: CarrierLeg?
  public var userID: String?
  /// The caller's address and the target now tried (or that answered).
  public var source: String
  public var destination: String?
  public var attempts: Int
  public var startedUnixMs: Int64
  public var ringingUnixMs: Int64?
  public var answeredUnixMs: Int64?
  /// Timers of an answered call: its maximum duration and session interval
  /// (as set at the answer), the milliseconds from the answer paid for.
  public var maxDurationMs: Int64?
  public var sessionIntervalSeconds: Int?
  public var paidMs: Int64?
  /// What the call's credit reservations hold, per account.
  public var reserved: [Reservation] = []

  public struct Reservation: Sendable, Equatable {
    public var account: AccountRef
    public var amount: Money
  }

  /// Whether the call matches every filter that is set: a carrier or
  /// interconnect on either leg, the softphone user, a number as caller or callee.
  public func matches(_ filter: ActiveCallFilter) -> Bool {
    if let carrier = filter.carrier, ingress?.carrierID != carrier, egress?.carrierID != carrier {
      return false
    }
    if let interconnect = filter.interconnect, ingress?.interconnectID != interconnect,
      egress?.interconnectID != interconnect
    {
      return false
    }
    if let user = filter.user, userID != user { return false }
    if let number = filter.number, fromUser != number, toUser != number { return false }
    return true
  }
}
