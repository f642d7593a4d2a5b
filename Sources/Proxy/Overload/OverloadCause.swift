/// Why a new INVITE was shed with 503.
public enum OverloadCause: String, Sendable, Equatable, CaseIterable {
  /// The core loop runs late (`maxLoopLagMs`).
  case loopLag = "loop_lag"
  /// Datagrams wait too long in the UDP receive queues (`maxQueueDelayMs`).
  case queueDelay = "queue_delay"
  /// The core loop is busy all the time (`maxLoopBusyPercent`).
  case loopBusy = "loop_busy"
  /// The INVITE waited longer than `maxInviteWaitMs` behind the core's
  /// other work while admission was limited.
  case inviteWait = "invite_wait"
  /// `maxInvitesPerSecond` was exceeded.
  case globalRate = "global_rate"
  /// `maxInvitesPerSourcePerSecond` was exceeded by the INVITE's source.
  case sourceRate = "source_rate"
}
