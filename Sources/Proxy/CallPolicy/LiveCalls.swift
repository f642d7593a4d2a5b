/// The calls in progress (routed and not yet over), with how many each
/// carrier, interconnect and carrier service has, for capacity limits.
/// The counts are kept by the same calls that add a call to and remove it
/// from the table, keyed by call: removing a call twice, or one never added,
/// changes nothing, so a count can neither go below zero nor outlive its call.
public final class LiveCalls {
  private struct Legs {
    var ingress: CarrierLeg?
    var egress: CarrierLeg?
  }

  private var calls: [UInt64: Legs] = [:]
  private var counts: [Key: Int] = [:]

  private enum Key: Hashable {
    case carrier(String)
    case interconnect(String)
    case service(String)
  }

  public init() {}

  public var callCount: Int { calls.count }
  /// Room in the table of calls (a flood's peak until `compact`).
  var capacity: Int { calls.capacity }

  /// Gives back a flood's capacity once the calls are gone.
  func compact() { calls.shrinkIfSparse() }
  public func calls(carrier id: String) -> Int { counts[.carrier(id)] ?? 0 }
  public func calls(interconnect id: String) -> Int { counts[.interconnect(id)] ?? 0 }
  public func calls(service id: String) -> Int { counts[.service(id)] ?? 0 }

  func add(_ call: UInt64, ingress: CarrierLeg?) {
    guard calls[call] == nil else { return }
    calls[call] = Legs(ingress: ingress)
    count(ingress, by: 1)
  }

  /// The call now tries (or reached) this supplier; the previous one is freed.
  func setEgress(_ call: UInt64, _ egress: CarrierLeg?) {
    guard var legs = calls[call] else { return }
    count(legs.egress, by: -1)
    legs.egress = egress
    calls[call] = legs
    count(egress, by: 1)
  }

  func remove(_ call: UInt64) {
    guard let legs = calls.removeValue(forKey: call) else { return }
    count(legs.ingress, by: -1)
    count(legs.egress, by: -1)
  }

  private func count(_ leg: CarrierLeg?, by delta: Int) {
    guard let leg else { return }
    for key in [Key.carrier(leg.carrierID), .interconnect(leg.interconnectID), .service(leg.serviceID)] {
      let value = (counts[key] ?? 0) + delta
      if value <= 0 { counts.removeValue(forKey: key) } else { counts[key] = value }
    }
  }
}
