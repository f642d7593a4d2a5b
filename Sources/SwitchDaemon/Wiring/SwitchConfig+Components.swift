import Billing
import Digest
import Proxy
import SIPCore
import SIPTransport

/// The configuration of each part the build function makes, read from the
/// switch's configuration (the only place the two vocabularies meet).
extension SwitchConfig {
  var transportConfiguration: TransportConfiguration {
    var configuration = TransportConfiguration()
    configuration.maxMessageSize = sip.maxMessageSize
    configuration.udpReceiveBufferBytes = sip.udpReceiveBufferBytes
    configuration.tcpIdleTimeoutSeconds = sip.tcpIdleTimeout.components.seconds
    configuration.tcpMessageTimeoutMs = Int64(sip.tcpMessageTimeoutMs)
    configuration.tcpMaxConnections = sip.tcpMaxConnections
    configuration.tcpMaxConnectionsPerSource = sip.tcpMaxConnectionsPerSource
    return configuration
  }

  /// The proxy core's configuration once the listeners are bound (`bound`
  /// holds the real ports when 0 was asked for).
  func proxyConfiguration(bound: [Endpoint]) -> ProxyConfiguration {
    ProxyConfiguration(
      localEndpoints: bound, advertisedHost: sip.advertisedAddress,
      timers: proxy.timers,
      inviteTimeoutMs: Int64(proxy.inviteTimeout.components.seconds) * 1000
        + proxy.inviteTimeout.components.attoseconds / 1_000_000_000_000_000,
      failoverTimeoutMs: Int64(proxy.failoverTimeoutMs), defaultMaxForwards: proxy.maxForwards,
      serverHeader: proxy.serverHeader,
      retryAfterSeconds: lifecycle.retryAfterSeconds, overload: overload.settings,
      maxDialogLifetimeMs: Int64(proxy.maxDialogLifetime.components.seconds) * 1000,
      health: health.settings)
  }

  /// The registrar of `[registrar] domains`; nil when it lists none.
  var registrarConfiguration: RegistrarConfiguration? {
    let settings = registrar
    guard !settings.domains.isEmpty else { return nil }
    var configuration = RegistrarConfiguration(
      domains: Set(settings.domains),
      defaultExpiresSeconds: settings.defaultExpiresSeconds,
      minExpiresSeconds: settings.minExpiresSeconds,
      maxExpiresSeconds: settings.maxExpiresSeconds,
      maxContacts: settings.maxContacts,
      authentication: settings.authentication == .none
        ? .none
        : .digest(
          algorithms: settings.digestAlgorithms.compactMap { DigestHash(token: $0) },
          nonceLifetimeSeconds: settings.nonceLifetimeSeconds),
      throttle: AuthenticationThrottle.Configuration(
        failureLimit: settings.authFailureLimit,
        failureWindowMs: Int64(settings.authFailureWindowSeconds) * 1000,
        blockMs: Int64(settings.authBlockSeconds) * 1000,
        maxBlockMs: Int64(settings.authMaxBlockSeconds) * 1000,
        forgetMs: Int64(settings.authForgetSeconds) * 1000,
        capacity: settings.authThrottleEntries,
        logIntervalMs: Int64(settings.authLogIntervalSeconds) * 1000))
    configuration.md5OnlyUserAgents = settings.md5OnlyUserAgents
    return configuration
  }

  var creditConfiguration: CreditConfiguration {
    CreditConfiguration(stepSeconds: Int64(credit.stepSeconds), extendLeadMs: Int64(credit.extendLeadMs))
  }

  /// The routing pipeline of softswitch mode over one snapshot.
  func callPipeline(_ snapshot: Snapshot) -> CallPipeline {
    CallPipeline(
      snapshot: snapshot, limitStatus: proxy.limitRejectStatus,
      capacityRetryAfterSeconds: proxy.capacityRetryAfterSeconds,
      emergencyNumbers: Set(retail.emergencyNumbers))
  }
}
