/// The outcome of ingress identification: a match, or the SIP final
/// response to send instead (status and reason phrase).
public enum IngressDecision: Sendable, Equatable {
  case matched(IngressMatch)
  case rejected(status: Int, reason: String)

  /// 403 "Unknown Interconnect": no ingress interconnect admits the source.
  public static let unknownInterconnect = IngressDecision.rejected(
    status: 403, reason: unknownReason)
  /// The reason phrase of that 403.
  public static let unknownReason = "Unknown Interconnect"
}
