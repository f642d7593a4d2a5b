import Logging
import NIOConcurrencyHelpers
import NIOCore
import SIPCore

/// What the channel handlers of one transport layer share: settings, logger,
/// the delivery callback and the counters.
final class TransportEnvironment: Sendable {
  let configuration: TransportConfiguration
  let logger: Logger
  let onMessage: @Sendable (InboundMessage) -> Void
  let counters = NIOLockedValueBox(TransportCounters())
  /// Rate-limits the log lines about abusive sources.
  let abuseLog: SourceLogLimiter

  init(
    configuration: TransportConfiguration, logger: Logger,
    onMessage: @escaping @Sendable (InboundMessage) -> Void
  ) {
    self.configuration = configuration
    self.logger = logger
    self.onMessage = onMessage
    self.abuseLog = SourceLogLimiter(interval: .seconds(max(1, configuration.abuseLogIntervalSeconds)))
  }

  /// Logs `message` about `source` at notice level, at most once per source and
  /// event per interval.
  func logAbuse(
    _ event: String, _ message: Logger.Message, source: String, now: NIODeadline,
    metadata: Logger.Metadata = [:]
  ) {
    guard let suppressed = self.abuseLog.admit(event, host: source, now: now) else { return }
    var metadata = metadata
    metadata["source"] = "\(source)"
    if suppressed > 0 { metadata["suppressed_since_last"] = "\(suppressed)" }
    self.logger.notice(message, metadata: metadata)
  }

  func count(_ change: (inout TransportCounters) -> Void) {
    self.counters.withLockedValue(change)
  }

  /// A stream message missed its deadline: counted and logged (once per source
  /// per interval); the framing handler closes the connection.
  func messageTimedOut(on channel: any Channel) {
    self.count { $0.tcpMessageTimeouts += 1 }
    self.logAbuse(
      "message-timeout", "closing SIP stream connection: message not complete within the deadline",
      source: channel.remoteAddress?.ipAddress ?? "?", now: channel.eventLoop.now,
      metadata: ["timeout_ms": "\(self.configuration.tcpMessageTimeoutMs)"])
  }
}
