import Billing
import Routing
import SIPCore

/// What the switch must remember of an answered call to carry on with it
/// after a crash (docs/credit.md, "Calls up when the switch dies"): the
/// facts its call record needs, how to address both sides (the switch's own
/// BYE), its timers and the accounts it is charged to at which prices.
///
/// Taken when the 2xx is relayed (the caller sees the answer only once the
/// checkpoint is durable), dropped when the call's record is; a switch that
/// starts on the same journal directory restores the checkpoints left open
/// (`ProxyCore.restore`), so a BYE that reaches the new process ends the call
/// with its record and its debit, and credit keeps cutting it on time.
public struct DialogCheckpoint: Sendable, Equatable {
  /// The call as it stood at the answer (`outcome` answered, no end yet).
  public var summary: CallSummary
  /// The caller's and the callee's transport addresses.
  public var caller: Endpoint
  public var callee: Endpoint
  /// How the switch addresses each side; nil when no policy ends the call.
  var control: DialogControl?
  var callerCSeq: UInt32
  var calleeCSeq: UInt32
  /// The call's maximum duration from the answer, when it has one.
  public var maxDurationMs: Int64?
  /// The RFC 4028 session interval in force, seconds.
  public var sessionInterval: Int?
  /// The accounts the call is charged to, each quote in its account's currency.
  public var creditParties: [CreditParty]
  /// The accounts a call to a DID's forwarded leg is charged to (the
  /// owner's wallet, the supplier), under the leg's own record id
  /// (`summary.forwardedLeg`); empty when the call has no tried leg.
  public var forwardedLegParties: [CreditParty] = []

  public var recordID: String { summary.recordID }

  init(
    summary: CallSummary, caller: Endpoint, callee: Endpoint, control: DialogControl?, callerCSeq: UInt32,
    calleeCSeq: UInt32, maxDurationMs: Int64?, sessionInterval: Int?, creditParties: [CreditParty]
  ) {
    self.summary = summary
    self.caller = caller
    self.callee = callee
    self.control = control
    self.callerCSeq = callerCSeq
    self.calleeCSeq = calleeCSeq
    self.maxDurationMs = maxDurationMs
    self.sessionInterval = sessionInterval
    self.creditParties = creditParties
  }
}
