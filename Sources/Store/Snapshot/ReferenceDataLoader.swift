import Policy
import Routing
import SIPCore

/// Reads `ReferenceData` from PostgreSQL in one REPEATABLE READ, READ ONLY
/// transaction, so a portal edit halfway through a load is either wholly in
/// the snapshot or wholly out. Routing-plan entries and rating-plan rates
/// stream through a cursor in batches, so a million prefixes never sit in
/// one libpq result.
/// Blocking: run it off the event loops.
public struct ReferenceDataLoader {
  /// Rows fetched per round trip when reading routing-plan entries and rates.
  public var batchSize = 50_000
  /// The tz database that rating plans' `time_zone` names.
  public var zoneDirectory = TimeZoneFile.defaultDirectory

  public init() {}

  public func load(from connection: PGConnection) throws -> ReferenceData {
    try connection.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    do {
      let carriers = try loadCarriers(connection)
      var interconnects = try loadInterconnects(connection)
      let services = try loadServices(connection)
      let plans = try loadRoutingPlans(connection)
      var policies = try PolicyRows(connection: connection).load()
      let currencies = try loadCurrencies(connection)
      let ratingPlans = try RatingRows(
        connection: connection, currencies: currencies, batchSize: batchSize, zoneDirectory: zoneDirectory
      ).load()
      let assignments = try loadAssignments(connection)
      let sipCredentials = try loadSIPCredentials(connection)
      let retail = try RetailRows(connection: connection, zoneDirectory: zoneDirectory).load()
      try connection.execute(script: "COMMIT")
      // validation_settings.tech_prefix, when set, is the ingress tech prefix.
      for index in interconnects.indices {
        if let prefix = policies.techPrefixes[interconnects[index].id] {
          interconnects[index].techPrefix = prefix
        }
      }
      policies.techPrefixes = [:]
      return ReferenceData(
        carriers: carriers, interconnects: interconnects, services: services, routingPlans: plans,
        policies: policies.policies, ratingPlans: ratingPlans, currencies: currencies,
        assignments: assignments, sipCredentials: sipCredentials, retail: retail)
    } catch {
      try? connection.execute(script: "ROLLBACK")
      throw error
    }
  }

  private func loadCarriers(_ connection: PGConnection) throws -> [Carrier] {
    let rows = try connection.query(
      """
      SELECT id::text, code, name, partner_type::text, status::text, capacity_mode::text, capacity_limit,
             circular_routing, customer_category_id::text, customer_group_id::text
      FROM carriers ORDER BY id
      """)
    var carriers: [Carrier] = []
    carriers.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 0) ?? ""
      let fields = Fields(table: "carriers", id: id, result: rows, row: row)
      carriers.append(
        Carrier(
          id: id, code: try fields.text(1), name: try fields.text(2), partnerType: try fields.enumValue(3),
          status: try fields.enumValue(4), capacityMode: try fields.enumValue(5),
          capacityLimit: try fields.int(6),
          circularRouting: fields.bool(7), categoryID: rows.string(row, 8), groupID: rows.string(row, 9)))
    }
    return carriers
  }

  private func loadInterconnects(_ connection: PGConnection) throws -> [Interconnect] {
    let addressRows = try connection.query(
      """
      SELECT interconnect_id::text, id::text, ip_address, is_range, range_end, sip_port
      FROM interconnect_ip_addresses
      WHERE is_active AND address_type = 'transport'
      ORDER BY interconnect_id, id
      """)
    var addresses: [String: [InterconnectAddress]] = [:]
    for row in 0..<addressRows.rowCount {
      let owner = addressRows.string(row, 0) ?? ""
      let id = addressRows.string(row, 1) ?? ""
      let fields = Fields(table: "interconnect_ip_addresses", id: id, result: addressRows, row: row)
      do {
        let address = try InterconnectAddress.parse(
          ipAddress: try fields.text(2), isRange: fields.bool(3), rangeEnd: addressRows.string(row, 4),
          port: try fields.int(5))
        addresses[owner, default: []].append(address)
      } catch {
        throw ReferenceDataError(table: "interconnect_ip_addresses", rowID: id, problem: "\(error)")
      }
    }
    let rows = try connection.query(
      """
      SELECT id::text, carrier_id::text, short_code, name, direction, is_active, tech_prefix, ip_address,
             sip_port, transport, capacity_mode::text, capacity_limit, options_probe,
             options_probe_interval_seconds, tls_server_name, tls_fingerprint_sha256, tls_client_fingerprint_sha256,
             tls_client_subject, tls_client_san
      FROM carrier_interconnects ORDER BY id
      """)
    var interconnects: [Interconnect] = []
    interconnects.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 0) ?? ""
      let fields = Fields(table: "carrier_interconnects", id: id, result: rows, row: row)
      let host = rows.string(row, 7).flatMap { $0.isEmpty ? nil : $0 }
      if let host, !Self.isUsableHost(host) {
        throw ReferenceDataError(
          table: "carrier_interconnects", rowID: id, problem: "ip_address \(host) is not an IP address")
      }
      let transport: TransportKind = try fields.enumValue(9)
      var interconnect = Interconnect(
        id: id, carrierID: try fields.text(1), shortCode: rows.string(row, 2), name: try fields.text(3),
        direction: try fields.enumValue(4), isActive: fields.bool(5), techPrefix: try fields.text(6),
        host: host,
        sipPort: try fields.int(8) ?? 5060, transport: transport, capacityMode: try fields.enumValue(10),
        capacityLimit: try fields.int(11), addresses: addresses[id] ?? [], optionsProbe: fields.bool(12),
        optionsProbeIntervalSeconds: try fields.int(13))
      interconnect.tlsServerName = rows.string(row, 14)
      interconnect.tlsFingerprintSHA256 = rows.string(row, 15)
      interconnect.tlsClientFingerprintSHA256 = rows.string(row, 16)
      interconnect.tlsClientSubject = try Self.certificateName(
        rows.string(row, 17), column: "tls_client_subject", rowID: id, DistinguishedName.init(_:))
      interconnect.tlsClientSubjectAltName = try Self.certificateName(
        rows.string(row, 18), column: "tls_client_san", rowID: id, SubjectAltName.init)
      interconnects.append(interconnect)
    }
    return interconnects
  }

  /// A client certificate name column (Migration 0025), parsed; a value that
  /// does not parse fails the load, naming the row.
  private static func certificateName<Name>(
    _ text: String?, column: String, rowID: String, _ parse: (String) throws(CertificateNameError) -> Name
  ) throws(ReferenceDataError) -> Name? {
    guard let text else { return nil }
    do {
      return try parse(text)
    } catch {
      throw ReferenceDataError(table: "carrier_interconnects", rowID: rowID, problem: "\(column): \(error)")
    }
  }

  private func loadServices(_ connection: PGConnection) throws -> [CarrierService] {
    let rows = try connection.query(
      """
      SELECT id::text, short_code, carrier_id::text, interconnect_id::text, name, direction, status::text,
             rating_plan_id::text, routing_plan_id::text, tech_prefix, priority, weight, capacity_mode::text,
             capacity_limit, max_cps, max_cps_enabled, max_cps_burst
      FROM carrier_services ORDER BY id
      """)
    var services: [CarrierService] = []
    services.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      let id = rows.string(row, 0) ?? ""
      let fields = Fields(table: "carrier_services", id: id, result: rows, row: row)
      services.append(
        CarrierService(
          id: id, shortCode: rows.string(row, 1), carrierID: try fields.text(2),
          interconnectID: try fields.text(3),
          name: try fields.text(4), direction: try fields.enumValue(5), status: try fields.enumValue(6),
          ratingPlanID: rows.string(row, 7), routingPlanID: rows.string(row, 8),
          techPrefix: try fields.text(9),
          priority: try fields.int(10) ?? 1, weight: try fields.int(11) ?? 1,
          capacityMode: try fields.enumValue(12),
          capacityLimit: try fields.int(13),
          callRate: try fields.callRate(enabled: 15, rate: 14, burst: 16)))
    }
    return services
  }

  /// A routing plan's own columns, before its entries.
  private struct RoutingPlanHead {
    var code: String
    var name: String
    var failoverCodes: Set<Int>
    var order: RouteOrder
    var lcrReferenceSeconds: Int
    var entries: [RoutingPlanEntry] = []
  }

  /// The routing plans' own columns by id, and their ids in order.
  private func routingPlanHeads(_ connection: PGConnection) throws -> ([String: RoutingPlanHead], [String]) {
    let planRows = try connection.query(
      """
      SELECT id::text, code, name, failover_codes::text, route_order, lcr_reference_seconds
      FROM routing_plans ORDER BY id
      """)
    var plans: [String: RoutingPlanHead] = [:]
    var order: [String] = []
    for row in 0..<planRows.rowCount {
      let id = planRows.string(row, 0) ?? ""
      let fields = Fields(table: "routing_plans", id: id, result: planRows, row: row)
      let reference = try fields.positiveInt(5) ?? RoutingPlan.defaultLCRReferenceSeconds
      guard reference <= RoutingPlan.maximumLCRReferenceSeconds else {
        throw fields.fail(5, "is more than \(RoutingPlan.maximumLCRReferenceSeconds) seconds: \(reference)")
      }
      plans[id] = RoutingPlanHead(
        code: try fields.text(1), name: try fields.text(2), failoverCodes: try fields.intSet(3),
        order: try fields.enumValue(4), lcrReferenceSeconds: reference)
      order.append(id)
    }
    return (plans, order)
  }

  private func loadRoutingPlans(_ connection: PGConnection) throws -> [RoutingPlan] {
    let (heads, order) = try routingPlanHeads(connection)
    var plans = heads
    try connection.execute(
      script: """
        DECLARE didtron_entries NO SCROLL CURSOR FOR
        SELECT e.routing_plan_id::text, e.prefix, e.failover_codes::text, s.carrier_service_id::text, s.priority,
               s.weight, e.id, e.route_order
        FROM routing_plan_entries e
        LEFT JOIN routing_plan_entry_services s ON s.routing_plan_entry_id = e.id
        ORDER BY e.routing_plan_id, e.prefix, s.priority, s.carrier_service_id
        """)
    // Service ids repeat across a million entries: keep one copy of each.
    var interned: [String: String] = [:]
    var currentPlan = ""
    var currentPrefix: String?
    var currentFailover: Set<Int>?
    var currentOrder: RouteOrder?
    var currentRoutes: [EgressRoute] = []
    func flush() {
      guard let prefix = currentPrefix else { return }
      plans[currentPlan]?.entries.append(
        RoutingPlanEntry(
          prefix: prefix, routes: currentRoutes, failoverCodes: currentFailover, order: currentOrder))
      currentPrefix = nil
      currentRoutes = []
    }
    while true {
      let rows = try connection.query(PGQuery(unsafeSQL: "FETCH \(batchSize) FROM didtron_entries"))
      if rows.rowCount == 0 { break }
      for row in 0..<rows.rowCount {
        let entryID = rows.string(row, 6) ?? ""
        let fields = Fields(table: "routing_plan_entries", id: entryID, result: rows, row: row)
        let plan = try fields.text(0)
        let prefix = try fields.text(1)
        if plan != currentPlan || prefix != currentPrefix {
          flush()
          currentPlan = plan
          currentPrefix = prefix
          currentFailover = rows.isNull(row, 2) ? nil : try fields.intSet(2)
          currentOrder = try fields.optionalEnum(7)
        }
        if let service = rows.string(row, 3) {
          let shared = interned[service] ?? service
          interned[service] = shared
          currentRoutes.append(
            EgressRoute(
              carrierServiceID: shared, priority: try fields.int(4) ?? 1, weight: try fields.int(5) ?? 1))
        }
      }
    }
    flush()
    try connection.execute(script: "CLOSE didtron_entries")
    return order.compactMap { id in
      guard let head = plans[id] else { return nil }
      return RoutingPlan(
        id: id, code: head.code, name: head.name, failoverCodes: head.failoverCodes, order: head.order,
        lcrReferenceSeconds: head.lcrReferenceSeconds, entries: head.entries)
    }
  }

  /// The active currencies' exchange rates.
  private func loadCurrencies(_ connection: PGConnection) throws -> Currencies {
    let rows = try connection.query(
      "SELECT id::text, code, exchange_rate::text FROM currencies WHERE is_active ORDER BY code")
    var rates: [String: Int64] = [:]
    for row in 0..<rows.rowCount {
      let fields = Fields(table: "currencies", id: rows.string(row, 0) ?? "", result: rows, row: row)
      let text = try fields.text(2)
      guard let rate = Currencies.parseRate(text) else {
        throw fields.fail(2, "is not a positive number below 100000000 with at most ten decimals: \(text)")
      }
      rates[try fields.text(1)] = rate
    }
    return Currencies(rates: rates) ?? Currencies()
  }

  /// Digest credentials of the active devices of active users.
  private func loadSIPCredentials(_ connection: PGConnection) throws -> [String: String] {
    let rows = try connection.query(
      """
      SELECT d.sip_username, d.sip_password FROM device_registrations d JOIN users u ON u.id = d.user_id
      WHERE d.is_active AND u.status = 'active' AND d.sip_username IS NOT NULL AND d.sip_password IS NOT NULL
      """)
    var credentials: [String: String] = [:]
    credentials.reserveCapacity(rows.rowCount)
    for row in 0..<rows.rowCount {
      if let username = rows.string(row, 0), let password = rows.string(row, 1) {
        credentials[username] = password
      }
    }
    return credentials
  }

  /// `carrier_assignments`, the ids of the column the row's type names
  /// expanded by PostgreSQL (lowercase, as `uuid::text` prints ids).
  private func loadAssignments(_ connection: PGConnection) throws -> CarrierAssignments {
    let rows = try connection.query(
      """
      SELECT carrier_id::text, id::text, assignment_type,
             CASE WHEN jsonb_typeof(ids) = 'array'
                  THEN (SELECT coalesce(string_agg(lower(x), ','), '') FROM jsonb_array_elements_text(ids) x)
             END
      FROM (SELECT carrier_id, id, assignment_type,
                   CASE assignment_type WHEN 'categories' THEN category_ids WHEN 'groups' THEN group_ids
                                        WHEN 'customers' THEN customer_ids ELSE '[]' END AS ids
            FROM carrier_assignments) a
      ORDER BY carrier_id, id
      """)
    var bySupplier: [String: [CarrierAssignments.Assignment]] = [:]
    for row in 0..<rows.rowCount {
      let fields = Fields(table: "carrier_assignments", id: rows.string(row, 1) ?? "", result: rows, row: row)
      let type = try fields.text(2)
      let column = ["categories": "category_ids", "groups": "group_ids", "customers": "customer_ids"][type]
      guard type == "all" || column != nil else { throw fields.fail(2, "has an unknown value: \(type)") }
      guard let list = rows.string(row, 3) else {
        throw ReferenceDataError(
          table: "carrier_assignments", rowID: fields.id, problem: "\(column ?? "ids") is not a JSON array")
      }
      let ids = Set(list.split(separator: ",").map(String.init))
      let assignment: CarrierAssignments.Assignment =
        switch type {
        case "categories": .categories(ids)
        case "groups": .groups(ids)
        case "customers": .customers(ids)
        default: .all
        }
      bySupplier[try fields.text(0), default: []].append(assignment)
    }
    return CarrierAssignments(bySupplier)
  }

  /// An egress host must be an IP address (names would need DNS on the call path).
  private static func isUsableHost(_ host: String) -> Bool { IPAddress(host) != nil }
}

/// Typed reads of one row, with errors that name the table, row and column.
struct Fields {
  let table: String
  let id: String
  let result: PGResult
  let row: Int

  func fail(_ column: Int, _ problem: String) -> ReferenceDataError {
    ReferenceDataError(table: table, rowID: id, problem: "\(result.columnName(column)) \(problem)")
  }

  func text(_ column: Int) throws -> String {
    guard let value = result.string(row, column) else { throw fail(column, "is NULL") }
    return value
  }

  func int(_ column: Int) throws -> Int? {
    guard let value = result.string(row, column) else { return nil }
    guard let number = Int(value) else { throw fail(column, "is not an integer: \(value)") }
    return number
  }

  func int64(_ column: Int) throws -> Int64? {
    guard let value = result.string(row, column) else { return nil }
    guard let number = Int64(value) else { throw fail(column, "is not an integer: \(value)") }
    return number
  }

  func bool(_ column: Int) -> Bool { result.string(row, column) == "t" }

  /// Text that is NULL or empty is "not set".
  func optionalText(_ column: Int) -> String? {
    guard let value = result.string(row, column), !value.isEmpty else { return nil }
    return value
  }

  /// A positive integer or NULL (the database checks it too; a row that
  /// slipped past is refused here).
  func positiveInt(_ column: Int) throws -> Int? {
    guard let value = try int(column) else { return nil }
    guard value > 0 else { throw fail(column, "must be positive: \(value)") }
    return value
  }

  /// `max_cps` / `max_cps_enabled` / `max_cps_burst` as a limit, nil when off.
  func callRate(enabled: Int, rate: Int, burst: Int) throws -> CallRateLimit? {
    let limit = try positiveInt(rate)
    let size = try positiveInt(burst)
    guard bool(enabled) else { return nil }
    guard let limit else { throw fail(rate, "is NULL while max_cps_enabled") }
    return CallRateLimit(rate: limit, burst: size)
  }

  func optionalEnum<T: RawRepresentable>(_ column: Int) throws -> T? where T.RawValue == String {
    guard let value = optionalText(column) else { return nil }
    guard let parsed = T(rawValue: value) else { throw fail(column, "has an unknown value: \(value)") }
    return parsed
  }

  func enumValue<T: RawRepresentable>(_ column: Int) throws -> T where T.RawValue == String {
    let value = try text(column)
    guard let parsed = T(rawValue: value) else { throw fail(column, "has an unknown value: \(value)") }
    return parsed
  }

  /// A PostgreSQL integer array in text form: `{404,486}`.
  func intSet(_ column: Int) throws -> Set<Int> {
    let value = try text(column)
    guard value.first == "{", value.last == "}" else { throw fail(column, "is not an array: \(value)") }
    var codes = Set<Int>()
    for item in value.dropFirst().dropLast().split(separator: ",") {
      guard let code = Int(item) else { throw fail(column, "holds a non-integer: \(item)") }
      codes.insert(code)
    }
    return codes
  }
}
