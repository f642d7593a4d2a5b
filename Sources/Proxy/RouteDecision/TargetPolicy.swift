import Policy

/// The egress interconnect's policy on one target's responses.
public struct TargetPolicy: Sendable, Equatable {
  /// The supplier's statuses mapped before the failover decision.
  public var releaseCauses: ReleaseCauseMapping
  /// Codecs allowed in the supplier's answer (empty: anything).
  public var codecs: CodecPolicy
  /// false: the supplier's 18x with SDP goes on as a 180 without it.
  public var earlyMedia: Bool
  /// The supplier's own limit on an answered call, if any.
  public var maxDurationMs: Int64?

  public init(
    releaseCauses: ReleaseCauseMapping = .identity, codecs: CodecPolicy = CodecPolicy(rules: []),
    earlyMedia: Bool = true, maxDurationMs: Int64? = nil
  ) {
    self.releaseCauses = releaseCauses
    self.codecs = codecs
    self.earlyMedia = earlyMedia
    self.maxDurationMs = maxDurationMs
  }
}
