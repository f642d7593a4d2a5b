/// How a routed call tries its targets.
public enum Forking: Sendable, Equatable {
  /// One target at a time; 408, 5xx, timeouts and `extraFailoverStatuses`
  /// move the call to the next (carrier and supplier failover).
  case sequential
  /// RFC 3261 §16.7 parallel forking: the targets, in order, form groups of
  /// equal `qThousandths`; every branch of a group is started at once, the
  /// next group only when every branch of this one failed (§16.6). The first
  /// 2xx wins and the other branches are cancelled; a 6xx ends the search;
  /// else the best response (§16.7 step 6). One no-answer timeout
  /// (`inviteTimeoutMs`) bounds the whole fork.
  case parallel
}
