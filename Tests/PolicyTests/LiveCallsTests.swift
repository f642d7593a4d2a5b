import Policy
import Testing

/// `LiveCalls`: the calls in progress per carrier, interconnect and carrier
/// service, and the capacity check the call pipeline makes against them.
@Suite struct LiveCallsTests {
  static let ingress = CarrierLeg(carrierID: "c1", interconnectID: "i1", serviceID: "s1")
  static let egressA = CarrierLeg(carrierID: "c2", interconnectID: "i2", serviceID: "s2")
  static let egressB = CarrierLeg(carrierID: "c3", interconnectID: "i3", serviceID: "s3")

  static func carrier(_ mode: CapacityMode = .unrestricted, limit: Int? = nil) -> Carrier {
    Carrier(
      id: "c1", code: "C1", name: "c1", partnerType: .customer, status: .active, capacityMode: mode,
      capacityLimit: limit)
  }

  static func interconnect(_ mode: CapacityMode = .unrestricted, limit: Int? = nil) -> Interconnect {
    Interconnect(
      id: "i1", carrierID: "c1", name: "i1", direction: .ingress, capacityMode: mode, capacityLimit: limit)
  }

  static func service(_ mode: CapacityMode = .unrestricted, limit: Int? = nil) -> CarrierService {
    CarrierService(
      id: "s1", carrierID: "c1", interconnectID: "i1", name: "s1", direction: .ingress, capacityMode: mode,
      capacityLimit: limit)
  }

  @Test func countsFollowACallFromRoutingThroughFailoverToItsEnd() {
    let live = LiveCalls()
    live.add(1, ingress: Self.ingress)
    live.setEgress(1, Self.egressA)
    #expect(live.callCount == 1)
    #expect(live.calls(carrier: "c1") == 1)
    #expect(live.calls(interconnect: "i2") == 1)
    live.setEgress(1, Self.egressB)
    #expect(live.calls(carrier: "c2") == 0)
    #expect(live.calls(service: "s3") == 1)
    live.remove(1)
    live.remove(1)
    #expect(live.callCount == 0)
    #expect(live.calls(carrier: "c1") == 0)
    #expect(live.calls(service: "s3") == 0)
  }

  @Test func aCallAddedTwiceOrNeverAddedCountsOnce() {
    let live = LiveCalls()
    live.add(1, ingress: Self.ingress)
    live.add(1, ingress: Self.ingress)
    live.setEgress(2, Self.egressA)
    live.remove(3)
    #expect(live.calls(interconnect: "i1") == 1)
    #expect(live.calls(interconnect: "i2") == 0)
  }

  @Test func unrestrictedNeverFills() {
    let live = LiveCalls()
    for call in 1...5 { live.add(UInt64(call), ingress: Self.ingress) }
    #expect(
      live.full(carrier: Self.carrier(), interconnect: Self.interconnect(), service: Self.service()) == nil)
  }

  @Test func aCappedEntityIsFullAtItsLimitAndCappedWithoutALimitAlways() {
    let live = LiveCalls()
    let service = Self.service(.capped, limit: 2)
    live.add(1, ingress: Self.ingress)
    #expect(live.full(carrier: Self.carrier(), interconnect: Self.interconnect(), service: service) == nil)
    live.add(2, ingress: Self.ingress)
    #expect(
      live.full(carrier: Self.carrier(), interconnect: Self.interconnect(), service: service) == .service)
    live.remove(2)
    #expect(live.full(carrier: Self.carrier(), interconnect: Self.interconnect(), service: service) == nil)
    #expect(
      LiveCalls().full(carrier: Self.carrier(.capped), interconnect: Self.interconnect(), service: service)
        == .carrier)
  }

  @Test func theCarrierIsNamedBeforeTheInterconnectAndTheService() {
    let live = LiveCalls()
    live.add(1, ingress: Self.ingress)
    let full = live.full(
      carrier: Self.carrier(.capped, limit: 1), interconnect: Self.interconnect(.capped, limit: 1),
      service: Self.service(.capped, limit: 1))
    #expect(full == .carrier)
    #expect(
      live.full(
        carrier: Self.carrier(), interconnect: Self.interconnect(.capped, limit: 1),
        service: Self.service(.capped, limit: 1)) == .interconnect)
    #expect(LimitedEntity.interconnect.rawValue == "Interconnect")
  }

  @Test func compactingAfterAFloodKeepsTheCallsAndGivesBackRoom() {
    let live = LiveCalls()
    for call in 0..<4_096 { live.add(UInt64(call), ingress: Self.ingress) }
    for call in 1..<4_096 { live.remove(UInt64(call)) }
    let peak = live.capacity
    live.compact()
    #expect(live.capacity < peak)
    #expect(live.callCount == 1)
    #expect(live.calls(carrier: "c1") == 1)
  }
}
