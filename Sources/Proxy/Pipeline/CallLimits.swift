import Policy

/// Step 3 of `CallPipeline`: the CPS limits of the ingress interconnect and
/// its carrier service (token buckets), then the capacity limits of the
/// ingress carrier, interconnect and service (calls in progress).
@usableFromInline struct CallLimits {
  /// `proxy.limit_reject_status` when not configured: 503 Service Unavailable.
  @usableFromInline static let defaultStatus = 503
  /// `proxy.capacity_retry_after_seconds` when not configured.
  @usableFromInline static let defaultCapacityRetryAfterSeconds = 5

  /// The status of a call refused by a CPS or capacity limit.
  let status: Int
  /// Retry-After seconds on a capacity refusal (CPS refusals say when the next token comes).
  let capacityRetryAfterSeconds: Int

  /// Takes a token from each CPS bucket in turn (a token taken stays taken
  /// when a later limit refuses), then checks the capacities.
  @inline(__always)
  func admit(_ ingress: IngressCall, _ context: RouteContext) throws(Refusal) {
    try takeToken(.interconnect, "i:", ingress.match.interconnect.id, ingress.policy.callRate, context)
    try takeToken(.service, "s:", ingress.match.service.id, ingress.match.service.callRate, context)
    if let full = context.liveCalls.full(
      carrier: ingress.match.carrier, interconnect: ingress.match.interconnect, service: ingress.match.service
    ) {
      throw .capacity(full, status: status, retryAfterSeconds: capacityRetryAfterSeconds)
    }
  }

  /// The bucket of `entity` `id` is keyed `keyPrefix + id` (interconnect and
  /// service ids may be equal); the key is built only when there is a limit.
  private func takeToken(
    _ entity: LimitedEntity, _ keyPrefix: String, _ id: String, _ limit: CallRateLimit?,
    _ context: RouteContext
  ) throws(Refusal) {
    guard let limit else { return }
    let key = keyPrefix + id
    guard context.cps.admit(key: key, rate: limit.rate, burst: limit.burst, nowMs: context.nowMs) else {
      let retry = context.cps.retryAfterSeconds(key: key, nowMs: context.nowMs)
      throw .callRate(entity, status: status, retryAfterSeconds: retry)
    }
  }
}
