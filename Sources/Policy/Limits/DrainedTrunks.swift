/// Interconnects and carrier services an operator took out of service
/// (admin API `POST /v1/trunks/{id}/drain`, docs/admin.md): no new call is
/// accepted from a drained one or routed to it; calls already up continue.
/// It outlives reloads of the reference data (the proxy core owns it, like
/// `CPSLimiter`); one thread uses it.
public final class DrainedTrunks {
  public private(set) var ids: Set<String> = []

  public init(_ ids: Set<String> = []) { self.ids = ids }

  public var isEmpty: Bool { ids.isEmpty }

  public func contains(_ id: String) -> Bool { !ids.isEmpty && ids.contains(id) }

  /// Whether a call may use this leg (its interconnect and service not drained).
  public func allows(interconnectID: String, serviceID: String) -> Bool {
    ids.isEmpty || (!ids.contains(interconnectID) && !ids.contains(serviceID))
  }

  /// Drains `id`; false when it already was.
  @discardableResult
  public func drain(_ id: String) -> Bool { ids.insert(id).inserted }

  /// Puts `id` back in service; false when it was not drained.
  @discardableResult
  public func enable(_ id: String) -> Bool { ids.remove(id) != nil }

  public func replace(with ids: Set<String>) { self.ids = ids }
}
