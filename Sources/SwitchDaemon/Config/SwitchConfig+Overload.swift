import Proxy

extension SwitchConfig.OverloadControl {
  /// The proxy core's overload settings for these keys.
  var settings: OverloadSettings {
    OverloadSettings(
      maxLoopLagMs: maxLoopLagMs, maxQueueDelayMs: maxQueueDelayMs, maxLoopBusyPercent: maxLoopBusyPercent,
      maxInviteWaitMs: maxInviteWaitMs,
      minInvitesPerSecond: minInvitesPerSecond, maxInvitesPerSecond: maxInvitesPerSecond,
      maxInvitesPerSourcePerSecond: maxInvitesPerSourcePerSecond,
      unknownSourceRequestsPerSecond: unknownSourceRequestsPerSecond, retryAfterSeconds: retryAfterSeconds,
      logIntervalMs: Int64(logIntervalSeconds) * 1000, maxTrackedSources: maxTrackedSources)
  }
}
