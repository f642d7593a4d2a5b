import Routing

/// One finished call as it is written to `calls`: built on the call path when
/// the call ends, journalled, then inserted (idempotently, by `uuid`).
public struct CallRecord: Sendable, Equatable {
  /// Seed 000 `call_status`, plus `cancelled` (migration 0021): the caller
  /// gave up (CANCEL) before the answer.
  public enum Status: String, Sendable, CaseIterable {
    case initiated, ringing, answered, completed, failed, busy
    case noAnswer = "no_answer"
    case cancelled
  }

  /// Seed 000 `call_direction`.
  public enum Direction: String, Sendable, CaseIterable {
    case inbound, outbound
  }

  /// The record's identity: a random v4 UUID, lower-case text.
  public var uuid: String
  public var direction: Direction
  /// The numbers as routed (after the tech prefix was stripped and translation).
  public var fromNumber: String?
  public var toNumber: String?
  /// The numbers as received.
  public var originalFromNumber: String?
  public var originalToNumber: String?
  public var status: Status
  /// Answer to end in seconds as billed: every started second counts
  /// (`durationMs` / 1000 rounded up), 0 when unanswered.
  public var durationSeconds: Int64
  /// `duration_ms`: answer to end in milliseconds, exactly (0 when
  /// unanswered); nil in journal lines older than `v5`.
  public var durationMs: Int64?
  /// `call_sid`: the SIP Call-ID.
  public var callSID: String
  public var startedUnixMs: Int64
  public var answeredUnixMs: Int64?
  public var endedUnixMs: Int64
  public var ingressCarrierID: String?
  public var ingressInterconnectID: String?
  public var ingressServiceID: String?
  public var egressCarrierID: String?
  public var egressInterconnectID: String?
  public var egressServiceID: String?
  /// `sip_status`: the final SIP status the caller got (the 2xx for
  /// answered calls), after the customer's release-cause mapping.
  public var sipStatus: Int
  /// `supplier_sip_status`: the final status the last route tried sent, as
  /// received, before any release-cause mapping (408 when it timed out, 503
  /// when it could not be reached; the 2xx for answered calls). Nil when no
  /// route gave one, and in journal lines older than `v4`.
  public var supplierSIPStatus: Int?
  public var routesTried: Int
  public var sourceAddress: String?
  public var destinationAddress: String?
  /// Who ended an answered call ("caller", "callee"), kept in `metadata`.
  public var endedBy: String?
  /// What the customer pays (`cost`, `currency`, `billable_seconds`,
  /// `rating_plan_id`, `rate_prefix`, `rate_per_minute`); nil when the
  /// call was not rated (no customer rating plan).
  public var customerCharge: RatedSide?
  /// What the supplier that carried it costs (the `supplier_*` columns).
  public var supplierCharge: RatedSide?
  /// Price minus cost in the customer's currency (nil unless both are rated).
  public var margin: Money?
  /// What the call moves on accounts (docs/credit.md): the customer price
  /// on the charged account, the supplier cost on the supplier's account.
  /// Applied in the transaction that inserts the record, only when the
  /// record is new, so a replay never charges twice.
  public var charges: [AccountCharge]
  /// `calls.user_id` and `calls.phone_number_id`: the softphone user who
  /// placed the call and the number it presented (docs/softphones.md); nil
  /// for an interconnect's call.
  public var userID: String? = nil
  public var phoneNumberID: String? = nil
  /// `calls.ringing_at` (seed 003's ringing time): when the first 18x went
  /// to the caller; nil when the call never rang, and in journal lines
  /// written before it was added.
  public var ringingUnixMs: Int64? = nil
  /// `calls.parent_call_uuid` (migration 0022): a forwarded leg's inbound
  /// call (docs/dids.md); nil for every other call and in journal lines
  /// older than `v6`.
  public var parentCallUUID: String? = nil

  /// One side of a rated call.
  public struct RatedSide: Sendable, Equatable {
    public var ratingPlanID: String
    /// The rate's prefix that matched.
    public var prefix: String
    public var currency: String
    public var ratePerMinute: Money
    public var billableSeconds: Int64
    /// Connection fee plus the rate for the billable seconds (0 when unanswered).
    public var amount: Money

    public init(
      ratingPlanID: String, prefix: String, currency: String, ratePerMinute: Money, billableSeconds: Int64,
      amount: Money
    ) {
      self.ratingPlanID = ratingPlanID
      self.prefix = prefix
      self.currency = currency
      self.ratePerMinute = ratePerMinute
      self.billableSeconds = billableSeconds
      self.amount = amount
    }

    /// The side of `quote` charged `charge`.
    public init(quote: RateQuote, charge: Charge) {
      self.init(
        ratingPlanID: quote.ratingPlanID, prefix: quote.prefix, currency: quote.currency,
        ratePerMinute: quote.ratePerMinute, billableSeconds: charge.billableSeconds, amount: charge.amount)
    }
  }

  public init(
    uuid: String, direction: Direction = .outbound, fromNumber: String?, toNumber: String?,
    originalFromNumber: String?, originalToNumber: String?, status: Status, durationSeconds: Int64,
    durationMs: Int64? = nil,
    callSID: String, startedUnixMs: Int64, answeredUnixMs: Int64?, endedUnixMs: Int64,
    ingressCarrierID: String? = nil, ingressInterconnectID: String? = nil, ingressServiceID: String? = nil,
    egressCarrierID: String? = nil, egressInterconnectID: String? = nil, egressServiceID: String? = nil,
    sipStatus: Int, supplierSIPStatus: Int? = nil, routesTried: Int, sourceAddress: String? = nil,
    destinationAddress: String? = nil,
    endedBy: String? = nil, customerCharge: RatedSide? = nil, supplierCharge: RatedSide? = nil,
    margin: Money? = nil, charges: [AccountCharge] = []
  ) {
    self.uuid = uuid
    self.direction = direction
    self.fromNumber = fromNumber
    self.toNumber = toNumber
    self.originalFromNumber = originalFromNumber
    self.originalToNumber = originalToNumber
    self.status = status
    self.durationSeconds = durationSeconds
    self.durationMs = durationMs
    self.callSID = callSID
    self.startedUnixMs = startedUnixMs
    self.answeredUnixMs = answeredUnixMs
    self.endedUnixMs = endedUnixMs
    self.ingressCarrierID = ingressCarrierID
    self.ingressInterconnectID = ingressInterconnectID
    self.ingressServiceID = ingressServiceID
    self.egressCarrierID = egressCarrierID
    self.egressInterconnectID = egressInterconnectID
    self.egressServiceID = egressServiceID
    self.sipStatus = sipStatus
    self.supplierSIPStatus = supplierSIPStatus
    self.routesTried = routesTried
    self.sourceAddress = sourceAddress
    self.destinationAddress = destinationAddress
    self.endedBy = endedBy
    self.customerCharge = customerCharge
    self.supplierCharge = supplierCharge
    self.margin = margin
    self.charges = charges
  }

  /// The seed's status for a call whose caller got `sipStatus`, answered or not
  /// (docs/database.md): answered → completed; cancelled by the caller
  /// (CANCEL before the answer) → cancelled; 486/600 → busy; 408/480/487
  /// and the no-answer timeout → no_answer; anything else → failed. A 487
  /// the caller did not ask for (a supplier gave up) stays no_answer.
  public static func status(answered: Bool, cancelledByCaller: Bool = false, sipStatus: Int) -> Status {
    if answered { return .completed }
    if cancelledByCaller { return .cancelled }
    switch sipStatus {
    case 486, 600: return .busy
    case 408, 480, 487: return .noAnswer
    default: return .failed
    }
  }
}
