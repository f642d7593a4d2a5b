import Billing
import Policy

/// One change of a call's state (seed 003's lifecycle), as the admin API's
/// event stream sends it (`GET /v1/events`, docs/admin.md). Made on the
/// core's loop when `ProxyCore.callEvents` is set.
public struct CallEvent: Sendable, Equatable {
  public enum State: String, Sendable, CaseIterable {
    case initiating, ringing, answered, ended
  }

  public var state: State
  /// Wall-clock milliseconds of the change.
  public var unixMs: Int64
  /// The call record's uuid: the id the admin API names the call by.
  public var id: String
  public var callID: String
  public var ingress: CarrierLeg?
  public var egress: CarrierLeg?
  public var userID: String?
  public var fromUser: String?
  public var toUser: String?
  /// Ended calls: the caller's final status, who ended it, the duration and charges.
  public var status: Int?
  public var endedBy: String?
  public var durationMs: Int64?
  public var charges: [AccountCharge] = []

  public init(state: State, unixMs: Int64, summary: CallSummary) {
    self.state = state
    self.unixMs = unixMs
    id = summary.recordID
    callID = summary.callID
    ingress = summary.ingress
    egress = summary.egress
    userID = summary.userID
    fromUser = summary.fromUser
    toUser = summary.toUser
    if state == .ended {
      status = summary.finalStatus
      endedBy = summary.endedBy
      durationMs = summary.durationMs
      charges = summary.charges
    }
  }
}
