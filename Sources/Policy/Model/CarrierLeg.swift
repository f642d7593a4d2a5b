/// One side of a call: the carrier, interconnect and carrier service it
/// came in on (ingress) or was sent to (egress).
public struct CarrierLeg: Sendable, Equatable {
  public var carrierID: String
  public var interconnectID: String
  public var serviceID: String

  public init(carrierID: String, interconnectID: String, serviceID: String) {
    self.carrierID = carrierID
    self.interconnectID = interconnectID
    self.serviceID = serviceID
  }
}
