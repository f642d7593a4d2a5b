/// The proxy's port to durable storage of calls: where an answered call's
/// checkpoint and an ended call's record go before the switch lets the
/// caller see the outcome.
///
/// The two durability waits of a call are both here:
/// - **A 2xx waits for its checkpoint.** When a supplier answers, the core
///   holds the 2xx (absorbing the callee's retransmissions) and calls
///   `answered(_:release:)`. The 2xx goes upstream only when `release` runs
///   (on the core's thread), so a call the caller knows to be up is a call a
///   restarted switch can find (`ProxyCore.restore`).
/// - **A BYE's 200 waits for the record.** When a call ends by BYE,
///   `ended(_:release:)` gets the record with a non-nil `release`; the final
///   response to the BYE goes out when it runs, so a caller told the call
///   is over is a caller whose call is billed. Calls that end otherwise
///   (refused, cancelled, cut by the switch) come with `release` nil.
///
/// The softswitch implements it over its journal (SwitchDaemon's
/// `Softswitch`: fsync, then PostgreSQL); flow tests use one in memory.
/// With no journal set, answers and BYE responses go at once.
public protocol CallJournal: AnyObject {
  /// An answered call's checkpoint; call `release` on the core's thread once
  /// it is durable (or once it will never be: the core's deadline ends a
  /// call whose answer is held too long).
  func answered(_ checkpoint: DialogCheckpoint, release: @escaping () -> Void)
  /// A call's outcome, once per call. `release`, when non-nil, sends the
  /// BYE's final response: call it on the core's thread once the record is
  /// durable.
  func ended(_ summary: CallSummary, release: (() -> Void)?)
}
