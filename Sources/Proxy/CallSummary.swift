import Billing
import Policy
import Routing
import SIPCore

/// What one call leaves behind when it is over: the facts a call record needs.
public struct CallSummary: Sendable, Equatable {
  public enum Outcome: Sendable, Equatable {
    /// Answered and ended by BYE (or by failure after answer).
    case answered
    /// Never answered; `finalStatus` says why.
    case failed
    /// Cancelled by the caller before answer.
    case cancelled
  }

  /// The call record's identity (a random UUID), fixed when the call starts.
  public var recordID: String
  public var callID: String
  public var fromTag: String
  public var toTag: String?
  /// The caller and callee numbers as routed.
  public var fromUser: String?
  public var toUser: String?
  /// The caller and callee as received (From user, Request-URI user).
  public var originalFromUser: String?
  public var originalToUser: String?
  public var ingress: CarrierLeg?
  /// The supplier side of the last target tried.
  public var egress: CarrierLeg?
  public var source: Endpoint
  public var destination: Endpoint?
  public var startedUnixMs: Int64
  /// When the first 18x went to the caller (`calls.ringing_at`); nil until then.
  public var ringingUnixMs: Int64?
  public var answeredUnixMs: Int64?
  public var endedUnixMs: Int64
  /// The final status the caller got (`calls.sip_status`): the 2xx of an
  /// answered call, else what the switch sent upstream after the customer's
  /// release-cause mapping and §16.7 (a lone 503 goes up as 500).
  public var finalStatus: Int
  public var outcome: Outcome
  /// How many targets were tried.
  public var attempts: Int
  /// Who ended an answered call: "caller", "callee", or nil.
  public var endedBy: String?
  /// The customer's price and the last tried supplier's cost: as quoted
  /// when the call was routed, then, once it is answered, as in force at
  /// the answer (docs/rating.md, "Priced at the answer").
  public var rating = CallRating()
  /// What the call moves on accounts, from the credit ledger when it ended.
  public var charges: [AccountCharge] = []
  /// The final status the last target tried sent, as received (before any
  /// release-cause mapping): 408 when it timed out, 503 when it could not be
  /// reached (`calls.supplier_sip_status`). Nil until a target gave one.
  public var supplierStatus: Int?
  /// The softphone user who placed the call and the `phone_numbers` row it
  /// presented (`calls.user_id`, `calls.phone_number_id`); nil for an
  /// interconnect's call.
  public var userID: String?
  public var phoneNumberID: String?
  /// The DIDs' fields (`direction`, `parentCallUUID`, `forwardedLeg`,
  /// `forwardedLegTried`, in `CallSummary+DID`): nil for other calls, so
  /// every copy of a summary stays small.
  var didFields: Boxed<DIDFields>? = nil

  /// The monotonic clock at answer and at end: durations are measured on
  /// it, so a step of the wall clock (NTP, a VM resumed) never changes what
  /// a call is billed.
  public var answeredMonotonicMs: Int64?
  public var endedMonotonicMs: Int64?

  /// Milliseconds from answer to end (nil for unanswered calls): on the
  /// monotonic clock when both ends were taken from it, else the wall clock.
  public var answeredDurationMs: Int64? {
    if let answered = answeredMonotonicMs, let ended = endedMonotonicMs { return max(0, ended - answered) }
    guard let answered = answeredUnixMs else { return nil }
    return max(0, endedUnixMs - answered)
  }

  /// Sets the end of the call on both clocks.
  public mutating func markEnded(unixMs: Int64, monotonicMs: Int64) {
    endedUnixMs = unixMs
    endedMonotonicMs = monotonicMs
  }

  /// Milliseconds between answer and end, exactly (0 for unanswered calls):
  /// `calls.duration_ms`.
  public var durationMs: Int64 { answeredDurationMs ?? 0 }

  /// Seconds between answer and end as the billing counts them: every
  /// started second counts (`durationMs` / 1000 rounded up, the rule of
  /// `BillingIncrements`), so 2.006 s is 3 s, as on a 1/1 bill; 0 for
  /// unanswered calls (docs/rating.md, "In the call record").
  public var durationSeconds: Int64 {
    BillingIncrements.perSecond.billableSeconds(durationMs: durationMs)
  }
}
