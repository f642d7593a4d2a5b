/// Who sent an initial INVITE, as `IngressIdentifier` found it.
public struct IngressMatch: Sendable, Equatable {
  public var carrier: Carrier
  public var interconnect: Interconnect
  /// The interconnect's ingress carrier service: it names the routing plan
  /// and the rating plan for the call.
  public var service: CarrierService
  /// The Request-URI user with the interconnect's tech prefix removed: the
  /// number to translate and route.
  public var number: String

  public init(carrier: Carrier, interconnect: Interconnect, service: CarrierService, number: String) {
    self.carrier = carrier
    self.interconnect = interconnect
    self.service = service
    self.number = number
  }
}
