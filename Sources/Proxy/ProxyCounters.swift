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
  public var locallyAnswered = 0
  public var statelessForwards = 0
  public var strayResponses = 0
  public var transactionTimeouts = 0
  public var transportErrors = 0
  public var loopsDetected = 0

  public init() {}
}
