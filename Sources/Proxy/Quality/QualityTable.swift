import Policy

/// Per-carrier call quality (docs/operations.md, "Quality metrics"), fed by
/// the proxy core when a call ends (its `CallSummary`), when a target
/// fails over, and when a call is refused; read for the metrics. One
/// thread uses it. At most `maxKeys` series and `maxRules` refusal rules:
/// what comes after is counted under `other`.
public final class QualityTable {
  public static let maxKeys = 4096
  public static let maxRules = 128

  public private(set) var carriers: [QualityKey: CarrierQuality] = [:]
  /// Refused calls by the rule that fired (its reason phrase, snake_case).
  public private(set) var refusals: [String: Int] = [:]

  public init() {}

  /// A call is over: its ingress leg counts one attempt; its last egress
  /// target one attempt too (earlier ones were counted as they failed over).
  public func record(_ summary: CallSummary) {
    if let leg = summary.ingress { record(summary, .ingress, leg) }
    if let leg = summary.egress { record(summary, .egress, leg) }
  }

  private func record(_ summary: CallSummary, _ side: QualityKey.Side, _ leg: CarrierLeg) {
    update(QualityKey(side: side, carrierID: leg.carrierID, interconnectID: leg.interconnectID)) {
      if summary.outcome == .answered {
        $0.answered(durationMs: summary.durationMs)
      } else {
        let status = side == .egress ? (summary.supplierStatus ?? summary.finalStatus) : summary.finalStatus
        $0.failed(status: status, cancelled: summary.outcome == .cancelled)
      }
      if let ringing = summary.ringingUnixMs { $0.rang(pddMs: ringing - summary.startedUnixMs) }
    }
  }

  /// A target gave `status` (as received; 408 for a timeout, 503 when it
  /// could not be reached) and the call moved on to the next one.
  public func failedOver(_ egress: CarrierLeg?, status: Int) {
    guard let egress else { return }
    update(QualityKey(side: .egress, carrierID: egress.carrierID, interconnectID: egress.interconnectID)) {
      $0.failed(status: status, cancelled: false)
    }
  }

  /// A call refused before any target was tried, by the rule named in `reason`.
  public func refused(reason: String) {
    var rule = Self.ruleName(reason)
    if refusals[rule] == nil, refusals.count >= Self.maxRules { rule = "other" }
    refusals[rule, default: 0] += 1
  }

  /// One hash of the key for a series that exists (every call but a
  /// carrier's first): its ids are two UUID strings.
  private func update(_ key: QualityKey, _ change: (inout CarrierQuality) -> Void) {
    if let index = carriers.index(forKey: key) {
      change(&carriers.values[index])
      return
    }
    let key = carriers.count >= Self.maxKeys ? QualityKey.overflow(key.side) : key
    change(&carriers[key, default: CarrierQuality()])
  }

  /// `No Route Within Margin` -> `no_route_within_margin`: letters and
  /// digits kept (lowercased), anything else one underscore, at most 64.
  static func ruleName(_ reason: String) -> String {
    var out = ""
    for scalar in reason.unicodeScalars.prefix(64) {
      if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
        out.unicodeScalars.append(scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar)
      } else if !out.isEmpty, !out.hasSuffix("_") {
        out += "_"
      }
    }
    while out.hasSuffix("_") { out.removeLast() }
    return out.isEmpty ? "unnamed" : out
  }
}
