import Policy
import Routing

/// Reads the softphone users who can authenticate (those with a device that
/// has digest credentials), all their devices with credentials (active or
/// not: an inactive one is refused with 403 once proven), and the active
/// numbers of users (docs/softphones.md, migrations 0013 and 0017).
struct RetailRows {
  let connection: PGConnection
  var zoneDirectory = TimeZoneFile.defaultDirectory

  func load() throws -> RetailDirectory {
    RetailDirectory(
      users: try users(), devices: try devices(), numbers: try numbers(),
      dids: try DIDRows(connection: connection, zoneDirectory: zoneDirectory).load(
        owners: try users(owningNumbers: true)))
  }

  /// Users with a device that has credentials (callers), or those who
  /// own phone numbers (`owningNumbers`: DID owners, docs/dids.md).
  func users(owningNumbers: Bool = false) throws -> [RetailUser] {
    let condition =
      owningNumbers
      ? "EXISTS (SELECT 1 FROM phone_numbers n WHERE n.user_id = u.id)"
      : """
      EXISTS (SELECT 1 FROM device_registrations d WHERE d.user_id = u.id
              AND d.sip_username IS NOT NULL AND d.sip_password IS NOT NULL)
      """
    let rows = try connection.query(
      PGQuery(
        unsafeSQL: """
          SELECT u.id::text, u.status::text, u.carrier_id::text, u.carrier_service_id::text,
                 (SELECT w.id::text FROM wallets w WHERE w.user_id = u.id),
                 (SELECT p.phone_calls_limit FROM subscription_plans p
                  WHERE p.id = u.subscription_plan_id AND p.is_active AND p.phone_calls_limit >= 0)
          FROM users u WHERE
          """ + " " + condition))
    return try (0..<rows.rowCount).map { row in
      let fields = Fields(table: "users", id: rows.string(row, 0) ?? "", result: rows, row: row)
      return RetailUser(
        id: try fields.text(0), isActive: try fields.text(1) == "active", carrierID: rows.string(row, 2),
        carrierServiceID: rows.string(row, 3), walletID: rows.string(row, 4),
        monthlyCallLimit: try fields.int(5))
    }
  }

  private func devices() throws -> [DeviceRegistration] {
    let rows = try connection.query(
      """
      SELECT id::text, sip_username, sip_password, is_active, user_id::text FROM device_registrations
      WHERE sip_username IS NOT NULL AND sip_password IS NOT NULL
      """)
    return try (0..<rows.rowCount).map { row in
      let fields = Fields(
        table: "device_registrations", id: rows.string(row, 0) ?? "", result: rows, row: row)
      return DeviceRegistration(
        sipUsername: try fields.text(1), sipPassword: try fields.text(2), isActive: fields.bool(3),
        userID: try fields.text(4))
    }
  }

  private func numbers() throws -> [PhoneNumber] {
    let rows = try connection.query(
      """
      SELECT id::text, number, user_id::text, is_primary FROM phone_numbers
      WHERE status = 'active' AND user_id IS NOT NULL
      """)
    return try (0..<rows.rowCount).map { row in
      let fields = Fields(table: "phone_numbers", id: rows.string(row, 0) ?? "", result: rows, row: row)
      return PhoneNumber(
        id: try fields.text(0), number: try fields.text(1), userID: try fields.text(2),
        isPrimary: fields.bool(3))
    }
  }
}
