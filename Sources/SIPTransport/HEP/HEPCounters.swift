/// What HEP capture did since start (`didtron_hep_copies_total`).
public struct HEPCounters: Sendable, Equatable {
  /// Copies handed to the collector's socket.
  public var sent = 0
  /// Copies dropped: `queueSize` were already waiting (the collector's
  /// socket is slower than the switch), or the message was too big for HEP.
  public var dropped = 0
  /// Copies the socket refused (the collector unreachable, a send error).
  public var failed = 0

  public init(sent: Int = 0, dropped: Int = 0, failed: Int = 0) {
    self.sent = sent
    self.dropped = dropped
    self.failed = failed
  }
}
