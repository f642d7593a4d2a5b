import Billing
import JSON

/// Inserts call records into the `calls` table over one libpq connection,
/// idempotently: a record whose `uuid` is already there is skipped
/// (`ON CONFLICT (uuid) DO NOTHING`), so a replayed journal never duplicates.
/// The charges of the records that were new are applied in the same
/// transaction (`CallChargeWriter`), so a replay never charges twice either.
/// The transaction sets `didtron.reload_notify` off: balance and spend
/// updates must not reload the switch's snapshot.
public final class PostgresCallRecordStore: CallRecordStore {
  /// How a batch is sent.
  public enum Method: String, Sendable, CaseIterable {
    /// One multi-row `INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING`
    /// with every value a `$n` bind.
    case values
    /// `COPY` into a per-session temporary table, then
    /// `INSERT ... SELECT ... ON CONFLICT DO NOTHING`, in one transaction.
    case copy
  }

  /// The columns written, in the order of `row(_:)`, with their types.
  static let columns: [(name: String, type: String)] = [
    ("uuid", "uuid"), ("direction", "call_direction"), ("from_number", "text"), ("to_number", "text"),
    ("original_from_number", "text"), ("original_to_number", "text"), ("status", "call_status"),
    ("duration_seconds", "integer"), ("call_sid", "text"), ("started_at", "timestamptz"),
    ("answered_at", "timestamptz"), ("ended_at", "timestamptz"), ("metadata", "jsonb"),
    ("ingress_carrier_id", "uuid"), ("ingress_interconnect_id", "uuid"), ("ingress_service_id", "uuid"),
    ("egress_carrier_id", "uuid"), ("egress_interconnect_id", "uuid"), ("egress_service_id", "uuid"),
    ("sip_status", "integer"), ("supplier_sip_status", "integer"), ("routes_tried", "integer"),
    ("source_address", "text"),
    ("destination_address", "text"), ("cost", "numeric"), ("currency", "text"),
    ("billable_seconds", "integer"),
    ("rating_plan_id", "uuid"), ("rate_prefix", "text"), ("rate_per_minute", "numeric"),
    ("supplier_cost", "numeric"), ("supplier_currency", "text"), ("supplier_billable_seconds", "integer"),
    ("supplier_rating_plan_id", "uuid"), ("supplier_rate_prefix", "text"),
    ("supplier_rate_per_minute", "numeric"),
    ("margin", "numeric"), ("duration_ms", "bigint"), ("user_id", "bigint"), ("phone_number_id", "bigint"),
    ("ringing_at", "timestamptz"), ("parent_call_uuid", "uuid"),
  ]

  private static let columnList = columns.map(\.name).joined(separator: ", ")
  /// Columns with a foreign key, and the table it names: a record whose user
  /// or number was deleted since the call is inserted with NULL there (as
  /// `on delete set null` would have left it), never refused.
  private static let referenced = ["user_id": "users", "phone_number_id": "phone_numbers"]
  /// The staging table's columns as inserted into `calls`.
  private static let stagedList = columns.map { column in
    referenced[column.name].map { "(SELECT id FROM \($0) WHERE id = s.\(column.name))" } ?? "s." + column.name
  }.joined(separator: ", ")
  private static let stagingTable = "didtron_calls_incoming"

  public let method: Method
  private let connection: PGConnection
  private var valuesStatements: [Int: String] = [:]
  private var stagingCreated = false
  private var copyBuffer: [UInt8] = []

  /// Connects to `url` (a `postgresql://` URI or a conninfo string).
  public init(url: String, method: Method = .copy) throws {
    self.connection = try PGConnection(url: url)
    self.method = method
  }

  public func insert(_ records: [CallRecord]) throws -> CallRecordInsertResult {
    if records.isEmpty { return CallRecordInsertResult(inserted: 0) }
    if method == .copy { try prepareCopy(records) }
    try connection.execute(script: "BEGIN; SET LOCAL didtron.reload_notify = 'off'")
    do {
      let newRows: PGResult
      switch method {
      case .values: newRows = try insertValues(records)
      case .copy: newRows = try insertCopy()
      }
      var callIDs: [String: String] = [:]
      for row in 0..<newRows.rowCount {
        if let uuid = newRows.string(row, 0), let id = newRows.string(row, 1) { callIDs[uuid] = id }
      }
      // The new records in batch order, each once (a uuid twice in a batch is inserted once).
      var calls: [CallChargeWriter.NewCall] = []
      for record in records where !record.charges.isEmpty {
        if let id = callIDs.removeValue(forKey: record.uuid.lowercased()) {
          calls.append(CallChargeWriter.NewCall(uuid: record.uuid, callID: id, charges: record.charges))
        }
      }
      let outcome = try CallChargeWriter(connection: connection).apply(calls)
      try connection.execute(script: "COMMIT")
      return CallRecordInsertResult(
        inserted: newRows.rowCount, balances: outcome.balances, unappliedCharges: outcome.unapplied)
    } catch {
      // A failed statement leaves the transaction aborted; end it so the
      // connection stays usable (if it is still there).
      try? connection.execute(script: "ROLLBACK")
      throw error
    }
  }

  /// `RETURNING` of both methods: the new rows' uuid (as `uuid::text` prints it) and `calls.id`.
  private static let returning = " ON CONFLICT (uuid) DO NOTHING RETURNING uuid::text, id"

  // MARK: multi-row VALUES

  private func insertValues(_ records: [CallRecord]) throws -> PGResult {
    let sql = valuesStatement(rows: records.count)
    var binds: [String?] = []
    binds.reserveCapacity(records.count * Self.columns.count)
    for record in records { binds.append(contentsOf: Self.row(record)) }
    return try connection.query(PGQuery(unsafeSQL: sql, binds: binds))
  }

  /// `INSERT INTO calls (...) VALUES ($1::uuid, ...), ... ON CONFLICT (uuid) DO NOTHING RETURNING ...`,
  /// built once per batch size. Only placeholders are generated; no value is spliced.
  private func valuesStatement(rows: Int) -> String {
    if let sql = valuesStatements[rows] { return sql }
    var sql = "INSERT INTO calls (\(Self.columnList)) VALUES "
    var parameter = 0
    for row in 0..<rows {
      sql += row == 0 ? "(" : ", ("
      for (index, column) in Self.columns.enumerated() {
        parameter += 1
        let bind = "$" + String(parameter) + "::" + column.type
        sql +=
          (index == 0 ? "" : ", ")
          + (Self.referenced[column.name].map { "(SELECT id FROM \($0) WHERE id = \(bind))" } ?? bind)
      }
      sql += ")"
    }
    sql += Self.returning
    if valuesStatements.count > 16 { valuesStatements.removeAll() }
    valuesStatements[rows] = sql
    return sql
  }

  // MARK: COPY through a staging table

  /// Creates the staging table once and encodes `records` into `copyBuffer`.
  private func prepareCopy(_ records: [CallRecord]) throws {
    if !stagingCreated {
      // Column types come from `calls` itself; rows vanish at every commit.
      try connection.execute(
        script: "CREATE TEMPORARY TABLE IF NOT EXISTS \(Self.stagingTable) ON COMMIT DELETE ROWS AS "
          + "SELECT \(Self.columnList) FROM calls WITH NO DATA")
      stagingCreated = true
    }
    copyBuffer.removeAll(keepingCapacity: true)
    for record in records {
      for (index, value) in Self.row(record).enumerated() {
        if index > 0 { copyBuffer.append(UInt8(ascii: "\t")) }
        Self.appendCopyText(value, to: &copyBuffer)
      }
      copyBuffer.append(UInt8(ascii: "\n"))
    }
  }

  /// Copies `copyBuffer` into the staging table and inserts from it, in the open transaction.
  private func insertCopy() throws -> PGResult {
    try connection.copyIn("COPY \(Self.stagingTable) (\(Self.columnList)) FROM STDIN", data: copyBuffer)
    return try connection.query(
      PGQuery(
        unsafeSQL:
          "INSERT INTO calls (\(Self.columnList)) SELECT \(Self.stagedList) FROM \(Self.stagingTable) s"
          + Self.returning))
  }

  /// COPY text format: `\N` for NULL; backslash, tab, newline and CR escaped.
  private static func appendCopyText(_ value: String?, to buffer: inout [UInt8]) {
    guard let value else {
      buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
      return
    }
    for byte in value.utf8 {
      switch byte {
      case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
      case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      default: buffer.append(byte)
      }
    }
  }

  // MARK: the row

  /// The text value of every column of `columns` for `record` (nil = NULL).
  static func row(_ record: CallRecord) -> [String?] {
    [
      record.uuid, record.direction.rawValue, record.fromNumber, record.toNumber, record.originalFromNumber,
      record.originalToNumber, record.status.rawValue, String(record.durationSeconds), record.callSID,
      TimestampText.utc(unixMilliseconds: record.startedUnixMs),
      record.answeredUnixMs.map { TimestampText.utc(unixMilliseconds: $0) },
      TimestampText.utc(unixMilliseconds: record.endedUnixMs), metadata(record), record.ingressCarrierID,
      record.ingressInterconnectID, record.ingressServiceID, record.egressCarrierID,
      record.egressInterconnectID,
      record.egressServiceID, String(record.sipStatus), record.supplierSIPStatus.map { String($0) },
      String(record.routesTried), record.sourceAddress,
      record.destinationAddress,
    ] + chargeColumns(record.customerCharge) + chargeColumns(record.supplierCharge) + [
      record.margin?.description, record.durationMs.map { String($0) }, record.userID, record.phoneNumberID,
      record.ringingUnixMs.map { TimestampText.utc(unixMilliseconds: $0) }, record.parentCallUUID,
    ]
  }

  /// amount, currency, billable seconds, plan, prefix, rate: one side's columns.
  private static func chargeColumns(_ side: CallRecord.RatedSide?) -> [String?] {
    guard let side else { return [nil, nil, nil, nil, nil, nil] }
    return [
      side.amount.description, side.currency, String(side.billableSeconds), side.ratingPlanID, side.prefix,
      side.ratePerMinute.description,
    ]
  }

  /// `{"ended_by": "..."}` when the record says who ended the call, else `{}`
  /// (the column is NOT NULL).
  static func metadata(_ record: CallRecord) -> String? {
    guard let endedBy = record.endedBy else { return "{}" }
    return "{\"ended_by\": " + JSONEscaping.quoted(endedBy) + "}"
  }
}
