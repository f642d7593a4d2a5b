import Billing
import JSON
import Policy
import Proxy

/// The admin API's reads of the core's state (on its loop), as JSON:
/// trunks, limits, accounts, registrations. Each is bounded by the
/// reference data's size or a page.
enum AdminViews {
  static func snapshot(_ proxy: ProxyCore) -> Snapshot? { (proxy.router as? CallPipeline)?.snapshot }

  static func trunkExists(_ proxy: ProxyCore, id: String) -> Bool {
    guard let snapshot = snapshot(proxy) else { return false }
    return snapshot.interconnects[id] != nil || snapshot.services[id] != nil
  }

  /// Every interconnect and carrier service: active, drained, calls now.
  static func trunks(_ proxy: ProxyCore) -> JSONValue {
    let drained = proxy.drainedTrunks
    let live = proxy.liveCalls
    let health = Dictionary(
      proxy.supplierHealth.states.map { ($0.interconnectID, $0) }, uniquingKeysWith: { a, _ in a })
    guard let snapshot = snapshot(proxy) else {
      return .object([
        ("interconnects", .array([])), ("services", .array([])),
        ("drained", .array(drained.ids.sorted().map { .string($0) })),
      ])
    }
    let interconnects = snapshot.interconnects.values.sorted { $0.id < $1.id }.map { i -> JSONValue in
      .object([
        ("id", .string(i.id)), ("name", .string(i.name)), ("carrier_id", .string(i.carrierID)),
        ("direction", .string("\(i.direction)")), ("active", .bool(i.isActive)),
        ("drained", .bool(drained.contains(i.id))), ("calls", .int(live.calls(interconnect: i.id))),
        ("capacity_limit", .int(i.capacityLimit)),
        // Supplier health (docs/operations.md): up, down, or not probed.
        ("health", .string(health[i.id]?.state.rawValue ?? "not_probed")),
        ("last_probe", health[i.id]?.lastOutcome.map { .string($0) } ?? .null),
      ])
    }
    let services = snapshot.services.values.sorted { $0.id < $1.id }.map { s -> JSONValue in
      .object([
        ("id", .string(s.id)), ("name", .string(s.name)), ("carrier_id", .string(s.carrierID)),
        ("interconnect_id", .string(s.interconnectID)), ("direction", .string(s.direction.rawValue)),
        ("status", .string("\(s.status)")), ("drained", .bool(drained.contains(s.id))),
        ("calls", .int(live.calls(service: s.id))), ("capacity_limit", .int(s.capacityLimit)),
      ])
    }
    return .object([("interconnects", .array(interconnects)), ("services", .array(services))])
  }

  /// CPS buckets (tokens left of the configured rate and burst) and
  /// capacity counts of every limited interconnect and service.
  static func limits(_ proxy: ProxyCore, nowMs: Int64 = SystemProxyClock().monotonicMs) -> JSONValue {
    var rows: [JSONValue] = []
    if let snapshot = snapshot(proxy) {
      for i in snapshot.interconnects.values.sorted(by: { $0.id < $1.id }) {
        let rate = snapshot.policy(of: i.id).callRate
        guard rate != nil || i.capacityLimit != nil else { continue }
        rows.append(
          row(
            "interconnect", i.id, rate, "i:", proxy, nowMs, i.capacityLimit,
            proxy.liveCalls.calls(interconnect: i.id)))
      }
      for s in snapshot.services.values.sorted(by: { $0.id < $1.id }) {
        guard s.callRate != nil || s.capacityLimit != nil else { continue }
        rows.append(
          row(
            "service", s.id, s.callRate, "s:", proxy, nowMs, s.capacityLimit,
            proxy.liveCalls.calls(service: s.id)))
      }
    }
    return .object([
      ("calls", .int(proxy.liveCalls.callCount)), ("dialogs", .int(proxy.dialogCount)),
      ("cps_buckets", .int(proxy.cpsLimiter.bucketCount)), ("limited", .array(rows)),
    ])
  }

  private static func row(
    _ kind: String, _ id: String, _ rate: CallRateLimit?, _ prefix: String, _ proxy: ProxyCore,
    _ nowMs: Int64,
    _ capacity: Int?, _ calls: Int
  ) -> JSONValue {
    .object([
      ("kind", .string(kind)), ("id", .string(id)), ("cps_rate", .int(rate?.rate)),
      ("cps_burst", .int(rate?.burst)),
      (
        "cps_tokens",
        .int(rate.map { limit in proxy.cpsLimiter.tokens(key: prefix + id, nowMs: nowMs) ?? limit.burst })
      ),
      ("capacity_limit", .int(capacity)), ("calls", .int(calls)),
    ])
  }

  /// Accounts with balance, reservations, pending charges and other
  /// nodes' holds, sorted by account, one page.
  static func accounts(_ proxy: ProxyCore, offset: Int, limit: Int) -> JSONValue {
    guard let credit = proxy.credit else {
      return .object([("accounts", .array([])), ("total", .int(0)), ("credit_control", .bool(false))])
    }
    let refs = credit.accountRefs.sorted { $0.description < $1.description }
    let page = refs.dropFirst(offset).prefix(limit).compactMap { ref in
      credit.position(of: ref).map { AdminJSON.position(ref, $0) }
    }
    return .object([
      ("accounts", .array(page)), ("total", .int(refs.count)), ("offset", .int(offset)),
      ("limit", .int(limit)),
      ("credit_control", .bool(true)),
    ])
  }

  static func registrations(_ proxy: ProxyCore, user: String) -> JSONValue {
    guard let registrar = proxy.registrar else { return .object([("registrations", .array([]))]) }
    let found = registrar.bindings(user: user).map { aor, bindings -> JSONValue in
      .object([
        ("address_of_record", .string(aor)),
        (
          "contacts",
          .array(
            bindings.map {
              .object([
                ("contact", .string($0.contact)), ("source", .string($0.source.description)),
                ("expires_in_s", .number(max(0, ($0.expiresAtMs - SystemProxyClock().monotonicMs) / 1000))),
              ])
            })
        ),
      ])
    }
    return .object([("user", .string(user)), ("registrations", .array(found))])
  }
}
