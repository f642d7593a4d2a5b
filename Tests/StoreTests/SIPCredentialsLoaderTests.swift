import Testing

@testable import Store

/// The registrar's credentials in the snapshot: active devices of active
/// users only (migration 0013).
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct SIPCredentialsLoaderTests {
  @Test func onlyActiveDevicesOfActiveUsersWithBothColumnsCount() throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: """
          INSERT INTO users (id, email, status) VALUES
            (1, 'alice@example.com', 'active'), (2, 'bob@example.com', 'suspended'),
            (3, 'carol@example.com', 'active');
          INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password, is_active)
          VALUES
            (1, 'phone', 'android', 'alice', 's3cret', true),
            (1, 'tablet', 'ios', 'alice-tab', 'other', true),
            (1, 'old', 'web', 'alice-old', 'x', false),
            (2, 'phone', 'android', 'bob', 'b0b', true),
            (3, 'phone', 'android', 'carol', NULL, true),
            (3, 'web', 'web', NULL, 'pw', true);
          """)
      let data = try ReferenceDataLoader().load(from: connection)
      #expect(data.sipCredentials == ["alice": "s3cret", "alice-tab": "other"])
    }
  }

  @Test(arguments: ["a b", "a@b", "a:b", "", "tab\there", "quote\"d"])
  func aUsernameASIPURICannotCarryIsRefused(_ username: String) throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: "INSERT INTO users (id, email, status) VALUES (1, 'a@example.com', 'active')")
      #expect(throws: PGError.self) {
        try connection.query(
          """
          INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password)
          VALUES (1, 'd', 'web', \(username), 'pw')
          """)
      }
    }
  }
}
