/// The calls in progress (routed and not yet over), with how many each
/// carrier, interconnect and carrier service has, for capacity limits (the
/// concurrent-call counterpart of `CPSLimiter`); one thread uses it.
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
  public var capacity: Int { calls.capacity }

  /// Gives back a flood's capacity once the calls are gone: a table using
  /// under an eighth of its room is copied into one sized for it (as the
  /// proxy core's tables are).
  public func compact() {
    guard calls.capacity > 1024, calls.count * 8 < calls.capacity else { return }
    var copy = [UInt64: Legs](minimumCapacity: calls.count * 2)
    for (call, legs) in calls { copy[call] = legs }
    calls = copy
  }
  /// Calls in progress per carrier (either side of the call), for the metrics.
  public var carrierCounts: [String: Int] {
    var out: [String: Int] = [:]
    for (key, count) in counts where count > 0 { if case .carrier(let id) = key { out[id] = count } }
    return out
  }

  /// Calls in progress per interconnect (either side of the call), for the metrics.
  public var interconnectCounts: [String: Int] {
    var out: [String: Int] = [:]
    for (key, count) in counts where count > 0 { if case .interconnect(let id) = key { out[id] = count } }
    return out
  }

  public func calls(carrier id: String) -> Int { counts[.carrier(id)] ?? 0 }
  public func calls(interconnect id: String) -> Int { counts[.interconnect(id)] ?? 0 }
  public func calls(service id: String) -> Int { counts[.service(id)] ?? 0 }

  /// Which of `carrier`, `interconnect` and `service` (checked in that
  /// order) is capped and already carries its limit of calls, if any: it
  /// cannot take one more.
  public func full(carrier: Carrier, interconnect: Interconnect, service: CarrierService) -> LimitedEntity? {
    if Self.isFull(carrier.capacityMode, carrier.capacityLimit, calls(carrier: carrier.id)) {
      return .carrier
    }
    if Self.isFull(
      interconnect.capacityMode, interconnect.capacityLimit, calls(interconnect: interconnect.id))
    {
      return .interconnect
    }
    if Self.isFull(service.capacityMode, service.capacityLimit, calls(service: service.id)) {
      return .service
    }
    return nil
  }

  public func add(_ call: UInt64, ingress: CarrierLeg?) {
    guard calls[call] == nil else { return }
    calls[call] = Legs(ingress: ingress)
    count(ingress, by: 1)
  }

  /// The call now tries (or reached) this supplier; the previous one is freed.
  public func setEgress(_ call: UInt64, _ egress: CarrierLeg?) {
    guard var legs = calls[call] else { return }
    count(legs.egress, by: -1)
    legs.egress = egress
    calls[call] = legs
    count(egress, by: 1)
  }

  public func remove(_ call: UInt64) {
    guard let legs = calls.removeValue(forKey: call) else { return }
    count(legs.ingress, by: -1)
    count(legs.egress, by: -1)
  }

  /// A capped carrier, interconnect or service with `current` calls cannot take one more.
  private static func isFull(_ mode: CapacityMode, _ limit: Int?, _ current: Int) -> Bool {
    mode == .capped && current >= (limit ?? 0)
  }

  private func count(_ leg: CarrierLeg?, by delta: Int) {
    guard let leg else { return }
    count(.carrier(leg.carrierID), by: delta)
    count(.interconnect(leg.interconnectID), by: delta)
    count(.service(leg.serviceID), by: delta)
  }

  private func count(_ key: Key, by delta: Int) {
    let value = (counts[key] ?? 0) + delta
    if value <= 0 { counts.removeValue(forKey: key) } else { counts[key] = value }
  }
}
