/// Which quality series a call counts in: its side, carrier and
/// interconnect (ids from the reference data, never numbers: the series
/// are bounded by the interconnects the snapshot holds).
public struct QualityKey: Hashable, Sendable {
  public enum Side: String, Sendable {
    case ingress
    case egress
  }

  public var side: Side
  public var carrierID: String
  public var interconnectID: String

  public init(side: Side, carrierID: String, interconnectID: String) {
    self.side = side
    self.carrierID = carrierID
    self.interconnectID = interconnectID
  }

  /// Where calls go once `QualityTable.maxKeys` series exist.
  static func overflow(_ side: Side) -> QualityKey {
    QualityKey(side: side, carrierID: "other", interconnectID: "other")
  }
}
