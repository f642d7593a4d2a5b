/// `carrier_interconnects.direction`.
public enum InterconnectDirection: String, Sendable, CaseIterable {
  case ingress
  case egress
  case both

  public var allowsIngress: Bool { self != .egress }
  public var allowsEgress: Bool { self != .ingress }
}
