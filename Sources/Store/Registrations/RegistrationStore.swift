import SIPCore

/// The registrar's bindings in PostgreSQL (`registrar_bindings`, Migration
/// 0018; docs/registrar.md "Bindings that last"). One connection, used on
/// one thread; every call blocks (keep it off the event loops). After a
/// connection problem (`PGError.isConnectionProblem`) make a new store.
public final class RegistrationStore {
  public let connection: PGConnection

  /// The channel the table's trigger notifies, payload = address of record.
  public static let channel = "didtron_registrations"

  /// Connects to `url` (a `postgresql://` URI or a conninfo string).
  public init(url: String) throws {
    connection = try PGConnection(url: url)
  }

  /// Applies one REGISTER's change in one transaction: deletes the removed
  /// contacts, upserts the saved ones (the device and user found by the
  /// address of record's user part as `sip_username`).
  public func apply(_ write: RegistrationWrite) throws {
    try apply([write])
  }

  /// Applies several REGISTERs' changes, in order, in one transaction (all
  /// or none): a burst of REGISTERs costs one commit.
  public func apply(_ writes: [RegistrationWrite]) throws {
    try connection.transaction {
      for write in writes { try applyOne(write) }
    }
  }

  private func applyOne(_ write: RegistrationWrite) throws {
    if !write.removed.isEmpty {
      try connection.query(
        """
        DELETE FROM registrar_bindings
        WHERE address_of_record = \(write.addressOfRecord)
          AND contact = ANY(\(PGArray.literal(write.removed))::text[])
        """)
    }
    for row in write.saved { try upsert(row) }
  }

  private func upsert(_ row: RegistrationRow) throws {
    try connection.query(
      PGQuery(
        unsafeSQL: """
          INSERT INTO registrar_bindings (
            address_of_record, contact, expires_at, q_thousandths, call_id, cseq,
            source_transport, source_host, source_port, device_registration_id, user_id, node_id)
          SELECT $1, $2, to_timestamp($3::bigint / 1000.0), $4::integer, $5, $6::bigint, $7, $8, $9::integer,
            d.id, d.user_id, $11
          FROM (SELECT 1) AS one
          LEFT JOIN device_registrations d ON d.sip_username = $10
          ON CONFLICT (address_of_record, contact) DO UPDATE SET
            expires_at = excluded.expires_at, q_thousandths = excluded.q_thousandths,
            call_id = excluded.call_id, cseq = excluded.cseq,
            source_transport = excluded.source_transport, source_host = excluded.source_host,
            source_port = excluded.source_port, device_registration_id = excluded.device_registration_id,
            user_id = excluded.user_id, node_id = excluded.node_id, updated_at = now()
          """,
        binds: [
          row.addressOfRecord, row.contact, String(row.expiresAtUnixMs), row.qThousandths.map(String.init),
          row.callID, String(row.cseq), row.source.transport.rawValue, row.source.host,
          String(row.source.port),
          Self.user(ofAddressOfRecord: row.addressOfRecord), row.nodeID,
        ]))
  }

  /// The live rows (expires_at in the future) of the given addresses of
  /// record, or of all when `addressesOfRecord` is nil; in the order they
  /// were first registered. An address of record with no live row is absent.
  public func load(addressesOfRecord: [String]? = nil) throws -> [String: [RegistrationRow]] {
    let columns = """
      SELECT address_of_record, contact, (extract(epoch FROM expires_at) * 1000)::bigint, q_thousandths,
        call_id, cseq, source_transport, source_host, source_port, node_id
      FROM registrar_bindings
      """
    let order = " ORDER BY address_of_record, registered_at, contact"
    let result: PGResult
    if let addressesOfRecord {
      result = try connection.query(
        PGQuery(
          unsafeSQL: columns + " WHERE expires_at > now() AND address_of_record = ANY($1::text[])" + order,
          binds: [PGArray.literal(addressesOfRecord)]))
    } else {
      result = try connection.query(PGQuery(unsafeSQL: columns + " WHERE expires_at > now()" + order))
    }
    var rows: [String: [RegistrationRow]] = [:]
    for index in 0..<result.rowCount {
      guard let row = Self.row(result, index) else { continue }
      rows[row.addressOfRecord, default: []].append(row)
    }
    return rows
  }

  private static func row(_ result: PGResult, _ index: Int) -> RegistrationRow? {
    guard let aor = result.string(index, 0), let contact = result.string(index, 1),
      let expires = result.string(index, 2).flatMap({ Int64($0) }), let callID = result.string(index, 4),
      let cseq = result.string(index, 5).flatMap({ UInt32($0) }),
      let transport = result.string(index, 6).flatMap({ TransportKind(rawValue: $0) }),
      let host = result.string(index, 7), let port = result.string(index, 8).flatMap({ Int($0) }),
      let node = result.string(index, 9)
    else { return nil }
    return RegistrationRow(
      addressOfRecord: aor, contact: contact, expiresAtUnixMs: expires,
      qThousandths: result.string(index, 3).flatMap { Int($0) }, callID: callID, cseq: cseq,
      source: Endpoint(transport: transport, host: host, port: port), nodeID: node)
  }

  /// Deletes rows that expired more than `graceSeconds` ago; returns how many.
  @discardableResult
  public func deleteExpired(graceSeconds: Int = 0) throws -> Int {
    try connection.query(
      "DELETE FROM registrar_bindings WHERE expires_at < now() - make_interval(secs => \(graceSeconds))"
    ).affectedRows
  }

  /// Sets `last_seen_at = now()` on the active devices whose `sip_username`
  /// is one of `usernames` and that were not seen within `intervalSeconds`;
  /// returns how many rows changed.
  @discardableResult
  public func touchDevices(usernames: [String], intervalSeconds: Int = 60) throws -> Int {
    guard !usernames.isEmpty else { return 0 }
    return try connection.query(
      """
      UPDATE device_registrations SET last_seen_at = now()
      WHERE sip_username = ANY(\(PGArray.literal(usernames))::text[]) AND is_active
        AND (last_seen_at IS NULL OR last_seen_at < now() - make_interval(secs => \(intervalSeconds)))
      """
    ).affectedRows
  }

  /// `sip:user@host` -> `user` (as written; "" without one).
  public static func user(ofAddressOfRecord aor: String) -> String {
    guard let colon = aor.firstIndex(of: ":"), let at = aor.lastIndex(of: "@"), colon < at else { return "" }
    return String(aor[aor.index(after: colon)..<at])
  }
}
