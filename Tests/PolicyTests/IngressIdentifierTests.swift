import SIPCore
import Testing

@testable import Policy

/// A small reference data set: each test adds interconnects to it.
private struct Fixture {
  var carriers: [Carrier] = [
    Carrier(id: "c-acme", code: "ACME", name: "Acme", partnerType: .customer, status: .active),
    Carrier(id: "c-beta", code: "BETA", name: "Beta", partnerType: .customer, status: .active),
    Carrier(id: "c-paused", code: "PAUS", name: "Paused", partnerType: .customer, status: .paused),
    Carrier(id: "c-off", code: "OFF", name: "Off", partnerType: .customer, status: .disabled),
    Carrier(id: "c-test", code: "TEST", name: "Test", partnerType: .bilateral, status: .testing),
  ]
  var interconnects: [Interconnect] = []
  var services: [CarrierService] = []

  /// Adds an interconnect with one active ingress service `s-<id>`.
  mutating func add(
    _ id: String, carrier: String = "c-acme", addresses: [String], port: Int? = nil,
    techPrefix: String = "", transport: TransportKind = .udp, isActive: Bool = true,
    direction: InterconnectDirection = .ingress, withService: Bool = true
  ) {
    let parsed = addresses.map { text -> InterconnectAddress in
      let parts = text.split(separator: "-").map(String.init)
      return try! InterconnectAddress.parse(
        ipAddress: parts[0], isRange: parts.count == 2, rangeEnd: parts.count == 2 ? parts[1] : nil,
        port: port)
    }
    interconnects.append(
      Interconnect(
        id: id, carrierID: carrier, name: id, direction: direction, isActive: isActive,
        techPrefix: techPrefix,
        transport: transport, addresses: parsed))
    if withService {
      services.append(
        CarrierService(
          id: "s-\(id)", carrierID: carrier, interconnectID: id, name: "in \(id)", direction: .ingress,
          routingPlanID: "rp-1"))
    }
  }

  var identifier: IngressIdentifier {
    IngressIdentifier(carriers: carriers, interconnects: interconnects, services: services)
  }
}

private func identify(
  _ fixture: Fixture, _ host: String, port: Int = 5060, transport: TransportKind = .udp,
  user: String = "4930123"
) -> IngressDecision {
  fixture.identifier.identify(
    source: Endpoint(transport: transport, host: host, port: port), requestURIUser: user)
}

private func matchedID(_ decision: IngressDecision) -> String? {
  if case .matched(let match) = decision { return match.interconnect.id }
  return nil
}

@Suite struct IngressIdentifierTests {
  @Test func exactAddress() throws {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["192.0.2.10"])
    let decision = identify(fixture, "192.0.2.10")
    guard case .matched(let match) = decision else {
      Issue.record("expected a match, got \(decision)")
      return
    }
    #expect(match.carrier.id == "c-acme")
    #expect(match.interconnect.id == "i-1")
    #expect(match.service.id == "s-i-1")
    #expect(match.number == "4930123")
    #expect(identify(fixture, "192.0.2.11") == .unknownInterconnect)
  }

  @Test func cidr() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["198.51.100.0/24"])
    #expect(matchedID(identify(fixture, "198.51.100.1")) == "i-1")
    #expect(matchedID(identify(fixture, "198.51.100.255")) == "i-1")
    #expect(identify(fixture, "198.51.101.0") == .unknownInterconnect)
  }

  @Test func range() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["203.0.113.10-203.0.113.20"])
    fixture.add("i-2", addresses: ["203.0.113.30-203.0.113.40"])
    #expect(matchedID(identify(fixture, "203.0.113.10")) == "i-1")
    #expect(matchedID(identify(fixture, "203.0.113.20")) == "i-1")
    #expect(matchedID(identify(fixture, "203.0.113.35")) == "i-2")
    #expect(identify(fixture, "203.0.113.25") == .unknownInterconnect)
    #expect(identify(fixture, "203.0.113.9") == .unknownInterconnect)
    #expect(identify(fixture, "203.0.113.41") == .unknownInterconnect)
  }

  @Test func overlappingRangesAreAllFound() {
    var fixture = Fixture()
    fixture.add("i-wide", addresses: ["10.0.0.0-10.0.255.255"])
    fixture.add("i-mid", addresses: ["10.0.1.0-10.0.1.9"])
    fixture.add("i-late", addresses: ["10.0.2.0-10.0.2.255"])
    #expect(matchedID(identify(fixture, "10.0.1.5")) == "i-mid")
    #expect(matchedID(identify(fixture, "10.0.3.1")) == "i-wide")
    #expect(matchedID(identify(fixture, "10.0.2.1")) == "i-late")
  }

  @Test func ipv6() {
    var fixture = Fixture()
    fixture.add("i-exact", addresses: ["2001:db8::10"])
    fixture.add("i-block", addresses: ["2001:db8::/32"])
    fixture.add("i-range", addresses: ["2001:db9::1-2001:db9::ff"])
    #expect(matchedID(identify(fixture, "2001:db8::10")) == "i-exact")
    #expect(matchedID(identify(fixture, "2001:db8:ffff::1")) == "i-block")
    #expect(matchedID(identify(fixture, "2001:db9::80")) == "i-range")
    #expect(identify(fixture, "2001:dba::1") == .unknownInterconnect)
  }

  @Test func ipv4MappedSourceMatchesIPv4Rows() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["192.0.2.10"])
    #expect(matchedID(identify(fixture, "::ffff:192.0.2.10")) == "i-1")
  }

  @Test func familiesDoNotMix() {
    var fixture = Fixture()
    fixture.add("i-v4-all", addresses: ["0.0.0.0/0"])
    #expect(identify(fixture, "2001:db8::1") == .unknownInterconnect)
    #expect(matchedID(identify(fixture, "8.8.8.8")) == "i-v4-all")
  }

  @Test func portSpecificBeatsAnyPort() {
    var fixture = Fixture()
    fixture.add("i-any", addresses: ["192.0.2.10"])
    fixture.add("i-5080", addresses: ["192.0.2.10"], port: 5080)
    #expect(matchedID(identify(fixture, "192.0.2.10", port: 5080)) == "i-5080")
    #expect(matchedID(identify(fixture, "192.0.2.10", port: 5060)) == "i-any")
  }

  @Test func portMustMatch() {
    var fixture = Fixture()
    fixture.add("i-5080", addresses: ["192.0.2.10"], port: 5080)
    #expect(identify(fixture, "192.0.2.10", port: 5060) == .unknownInterconnect)
  }

  @Test func techPrefixIsRequiredAndStripped() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["192.0.2.10"], techPrefix: "101#")
    #expect(identify(fixture, "192.0.2.10", user: "4930123") == .unknownInterconnect)
    guard case .matched(let match) = identify(fixture, "192.0.2.10", user: "101#4930123") else {
      Issue.record("expected a match")
      return
    }
    #expect(match.number == "4930123")
  }

  @Test func longerTechPrefixWinsOnTheSameAddress() {
    var fixture = Fixture()
    fixture.add("i-none", addresses: ["192.0.2.10"])
    fixture.add("i-101", addresses: ["192.0.2.10"], techPrefix: "101")
    fixture.add("i-1015", addresses: ["192.0.2.10"], techPrefix: "1015")
    #expect(matchedID(identify(fixture, "192.0.2.10", user: "101544")) == "i-1015")
    #expect(matchedID(identify(fixture, "192.0.2.10", user: "101644")) == "i-101")
    #expect(matchedID(identify(fixture, "192.0.2.10", user: "4930")) == "i-none")
    guard case .matched(let match) = identify(fixture, "192.0.2.10", user: "101544") else { return }
    #expect(match.number == "44")
  }

  @Test func exactBeatsCidrAndLongerPrefixBeatsShorter() {
    var fixture = Fixture()
    fixture.add("i-16", addresses: ["10.1.0.0/16"])
    fixture.add("i-24", addresses: ["10.1.2.0/24"])
    fixture.add("i-32", addresses: ["10.1.2.3"])
    #expect(matchedID(identify(fixture, "10.1.2.3")) == "i-32")
    #expect(matchedID(identify(fixture, "10.1.2.4")) == "i-24")
    #expect(matchedID(identify(fixture, "10.1.3.4")) == "i-16")
  }

  @Test func rangeCountsByItsSize() {
    var fixture = Fixture()
    fixture.add("i-24", addresses: ["10.1.2.0/24"])
    fixture.add("i-small-range", addresses: ["10.1.2.10-10.1.2.19"])
    fixture.add("i-big-range", addresses: ["10.1.0.0-10.1.7.255"])
    #expect(matchedID(identify(fixture, "10.1.2.15")) == "i-small-range")
    #expect(matchedID(identify(fixture, "10.1.2.30")) == "i-24")
    #expect(matchedID(identify(fixture, "10.1.5.1")) == "i-big-range")
  }

  @Test func addressSpecificityComesBeforePort() {
    var fixture = Fixture()
    fixture.add("i-block-5080", addresses: ["10.1.2.0/24"], port: 5080)
    fixture.add("i-exact-any", addresses: ["10.1.2.3"])
    #expect(matchedID(identify(fixture, "10.1.2.3", port: 5080)) == "i-exact-any")
  }

  @Test func tiesGoToTheLowerInterconnectID() {
    var fixture = Fixture()
    fixture.add("i-b", addresses: ["10.1.2.3"])
    fixture.add("i-a", addresses: ["10.1.2.3"])
    #expect(matchedID(identify(fixture, "10.1.2.3")) == "i-a")
  }

  @Test func inactiveInterconnectIsRejectedWithoutFallingThrough() {
    var fixture = Fixture()
    fixture.add("i-wide", addresses: ["10.1.0.0/16"])
    fixture.add("i-off", addresses: ["10.1.2.3"], isActive: false)
    #expect(identify(fixture, "10.1.2.3") == .rejected(status: 403, reason: "Interconnect Inactive"))
    #expect(matchedID(identify(fixture, "10.1.2.4")) == "i-wide")
  }

  @Test func pausedAndDisabledCarriersAreRejected() {
    var fixture = Fixture()
    fixture.add("i-paused", carrier: "c-paused", addresses: ["10.0.0.1"])
    fixture.add("i-off", carrier: "c-off", addresses: ["10.0.0.2"])
    #expect(identify(fixture, "10.0.0.1") == .rejected(status: 403, reason: "Carrier Paused"))
    #expect(identify(fixture, "10.0.0.2") == .rejected(status: 403, reason: "Carrier Disabled"))
  }

  @Test func testingCarrierIsAdmittedFromItsOwnAddresses() {
    var fixture = Fixture()
    fixture.add("i-test", carrier: "c-test", addresses: ["10.0.0.1"])
    #expect(matchedID(identify(fixture, "10.0.0.1")) == "i-test")
  }

  @Test func unknownSource() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["10.0.0.1"])
    #expect(identify(fixture, "10.0.0.2") == .rejected(status: 403, reason: "Unknown Interconnect"))
    #expect(identify(fixture, "not-an-ip") == .rejected(status: 403, reason: "Unknown Interconnect"))
    #expect(identify(Fixture(), "10.0.0.1") == .rejected(status: 403, reason: "Unknown Interconnect"))
  }

  @Test func egressOnlyInterconnectsDoNotIdentify() {
    var fixture = Fixture()
    fixture.add("i-out", addresses: ["10.0.0.1"], direction: .egress)
    fixture.add("i-both", addresses: ["10.0.0.2"], direction: .both)
    #expect(identify(fixture, "10.0.0.1") == .unknownInterconnect)
    #expect(matchedID(identify(fixture, "10.0.0.2")) == "i-both")
  }

  @Test func noIngressService() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["10.0.0.1"], withService: false)
    fixture.services.append(
      CarrierService(id: "s-out", carrierID: "c-acme", interconnectID: "i-1", name: "out", direction: .egress)
    )
    #expect(identify(fixture, "10.0.0.1") == .rejected(status: 403, reason: "No Ingress Service"))
  }

  @Test func pausedIngressServiceIsRejected() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["10.0.0.1"], withService: false)
    fixture.services.append(
      CarrierService(
        id: "s-1", carrierID: "c-acme", interconnectID: "i-1", name: "in", direction: .ingress,
        status: .paused))
    #expect(identify(fixture, "10.0.0.1") == .rejected(status: 403, reason: "Ingress Service Paused"))
  }

  @Test func ingressServiceByPriorityThenID() {
    var fixture = Fixture()
    fixture.add("i-1", addresses: ["10.0.0.1"], withService: false)
    fixture.services += [
      CarrierService(
        id: "s-c", carrierID: "c-acme", interconnectID: "i-1", name: "c", direction: .ingress, priority: 2),
      CarrierService(
        id: "s-b", carrierID: "c-acme", interconnectID: "i-1", name: "b", direction: .ingress, priority: 1),
      CarrierService(
        id: "s-a", carrierID: "c-acme", interconnectID: "i-1", name: "a", direction: .ingress, priority: 1),
      CarrierService(
        id: "s-0", carrierID: "c-acme", interconnectID: "i-1", name: "0", direction: .ingress,
        status: .disabled,
        priority: 0),
    ]
    guard case .matched(let match) = identify(fixture, "10.0.0.1") else {
      Issue.record("expected a match")
      return
    }
    #expect(match.service.id == "s-a")
  }

  @Test func transportMustMatchExactly() {
    var fixture = Fixture()
    fixture.add("i-udp", addresses: ["10.0.0.1"])
    fixture.add("i-tcp", addresses: ["10.0.0.2"], transport: .tcp)
    fixture.add("i-tls", addresses: ["10.0.0.3"], transport: .tls)
    #expect(identify(fixture, "10.0.0.1", transport: .tcp) == .unknownInterconnect)
    #expect(matchedID(identify(fixture, "10.0.0.2", transport: .tcp)) == "i-tcp")
    #expect(identify(fixture, "10.0.0.2", transport: .tls) == .unknownInterconnect)
    #expect(identify(fixture, "10.0.0.3", transport: .tcp) == .unknownInterconnect)
    #expect(matchedID(identify(fixture, "10.0.0.3", transport: .tls)) == "i-tls")
  }

  @Test func transportMismatchFallsToAnotherCandidate() {
    var fixture = Fixture()
    fixture.add("i-udp-exact", addresses: ["10.0.0.1"])
    fixture.add("i-tcp-block", addresses: ["10.0.0.0/24"], transport: .tcp)
    #expect(matchedID(identify(fixture, "10.0.0.1", transport: .tcp)) == "i-tcp-block")
  }

  @Test func unlinkedInterconnectsAreListed() {
    var fixture = Fixture()
    fixture.add("i-orphan", carrier: "c-gone", addresses: ["10.0.0.1"])
    #expect(fixture.identifier.unlinkedInterconnectIDs == ["i-orphan"])
    #expect(identify(fixture, "10.0.0.1") == .unknownInterconnect)
  }

  @Test func manyInterconnectsStillResolve() {
    var fixture = Fixture()
    for index in 0..<2000 {
      let a = index / 256
      let b = index % 256
      fixture.add("i-host-\(index)", addresses: ["10.\(a).\(b).1"])
      fixture.add("i-block-\(index)", addresses: ["172.16.\(index % 256).0/24"], techPrefix: "\(index)#")
      fixture.add("i-range-\(index)", addresses: ["100.64.\(a).\(b)-100.64.\(a).\(b)"], port: 5060)
    }
    let identifier = fixture.identifier
    func id(_ host: String, _ user: String = "1") -> String? {
      matchedID(
        identifier.identify(source: Endpoint(transport: .udp, host: host, port: 5060), requestURIUser: user))
    }
    #expect(id("10.7.207.1") == "i-host-1999")
    #expect(id("10.0.0.1") == "i-host-0")
    #expect(id("172.16.5.9", "1029#44") == "i-block-1029")
    #expect(id("100.64.3.4") == "i-range-772")
    #expect(id("10.0.0.2") == nil)
  }
}

@Suite struct RouteStatusTests {
  @Test func testingIsUsableOnlyByItsOwnCarrier() {
    #expect(RouteStatus.active.isUsable(forIngressCarrier: "a", ownerCarrier: "b"))
    #expect(RouteStatus.testing.isUsable(forIngressCarrier: "a", ownerCarrier: "a"))
    #expect(!RouteStatus.testing.isUsable(forIngressCarrier: "a", ownerCarrier: "b"))
    #expect(!RouteStatus.paused.isUsable(forIngressCarrier: "a", ownerCarrier: "a"))
    #expect(!RouteStatus.disabled.isUsable(forIngressCarrier: "a", ownerCarrier: "a"))
  }
}
