/// Running totals kept by the proxy core, read for metrics and logs.
public struct ProxyCounters: Sendable, Equatable {
  public var requestsReceived = 0
  public var responsesReceived = 0
  public var retransmissionsAbsorbed = 0
  public var invitesForwarded = 0
  public var callsAnswered = 0
  public var callsFailed = 0
  public var callsCancelled = 0
  public var callsEnded = 0
  /// Initial INVITEs the router refused (unknown source, no route...).
  public var callsRefused = 0
  /// Of those, refused by a CPS limit / a capacity limit.
  public var callRateRefusals = 0
  public var capacityRefusals = 0
  /// Of those, refused for credit (402 and friends).
  public var creditRefusals = 0
  /// Answered calls the switch ended when their paid time ran out.
  public var callsEndedByCredit = 0
  /// Answered calls an operator hung up (admin API, `ended_by` admin).
  public var callsEndedByAdmin = 0
  /// Answered calls the switch ended itself: maximum duration / session timer expiry.
  public var callsEndedByDurationLimit = 0
  public var callsEndedBySessionExpiry = 0
  /// REGISTER requests the registrar accepted / refused.
  public var registrations = 0
  public var registrationsRefused = 0
  /// Out-of-dialog INVITEs of softphone users answered 407 / proven (docs/softphones.md).
  public var callerChallenges = 0
  public var callersAuthenticated = 0
  /// Answered calls taken over from an earlier run's checkpoints (`restore`).
  public var callsRestored = 0
  /// Supplier answers left with no allowed codec.
  public var answersWithoutAllowedCodec = 0
  public var locallyAnswered = 0
  public var statelessForwards = 0
  public var strayResponses = 0
  /// 2xx answers of a forked branch after the call's answer (or final
  /// response), ACKed and ended with BYE by the switch (§16.7 step 5).
  public var lateAnswersEnded = 0
  public var transactionTimeouts = 0
  /// Transactions a backstop deadline ended (or answered) because neither
  /// their RFC 3261 timers nor their transaction user had (`ProxyCore+Deadlines`).
  public var transactionsExpired = 0
  /// Dialogs ended at `maxDialogLifetimeMs` (no BYE, no maximum duration, no session timer).
  public var dialogsExpired = 0
  public var transportErrors = 0
  public var loopsDetected = 0

  public init() {}
}
