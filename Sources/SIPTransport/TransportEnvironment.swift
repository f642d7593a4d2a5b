import Logging
import NIOConcurrencyHelpers
import SIPCore

/// What the channel handlers of one transport layer share: settings, logger,
/// the delivery callback and the counters.
final class TransportEnvironment: Sendable {
  let configuration: TransportConfiguration
  let logger: Logger
  let onMessage: @Sendable (InboundMessage) -> Void
  let counters = NIOLockedValueBox(TransportCounters())

  init(
    configuration: TransportConfiguration, logger: Logger,
    onMessage: @escaping @Sendable (InboundMessage) -> Void
  ) {
    self.configuration = configuration
    self.logger = logger
    self.onMessage = onMessage
  }

  func count(_ change: (inout TransportCounters) -> Void) {
    self.counters.withLockedValue(change)
  }
}
