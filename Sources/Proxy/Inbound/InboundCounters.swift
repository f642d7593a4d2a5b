/// What became of the inbound messages that never reached the proxy core
/// (`didtron_sip_malformed_total`, `didtron_sip_dropped_total`).
public struct InboundCounters: Sendable, Equatable {
  /// Refused before the core: answered 400 or similar (or, past an unknown
  /// source's budget, counted but not answered).
  public var malformed = 0
  /// Dropped unanswered: a keepalive, an unparseable message, a broken response.
  public var dropped = 0

  public init() {}
}
