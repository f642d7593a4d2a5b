import Billing
import Policy
import Testing

@testable import Store

/// Softphone users in the snapshot and in the call record (migration 0017,
/// docs/softphones.md).
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct RetailDatabaseTests {
  @Test func usersDevicesAndNumbersAreLoadedWithThePrimaryNumberAsCallerID() throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: """
          INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active'),
            (2, 'bob@example.com', 'suspended'), (3, 'carol@example.com', 'active');
          INSERT INTO device_registrations (user_id, device_id, device_type, sip_username, sip_password, is_active)
          VALUES (1, 'phone', 'android', 'alice', 's3cret', true), (1, 'old', 'web', 'alice-old', 'x', false),
                 (2, 'phone', 'ios', 'bob', 'b0b', true);
          INSERT INTO phone_numbers (id, user_id, number, is_primary, status) VALUES
            (10, 1, '15550000010', false, 'active'), (11, 1, '15550000011', true, 'active'),
            (12, 2, '15550000012', false, 'active'), (13, 2, '15550000013', true, 'released'),
            (14, 3, '15550000014', true, 'active');
          """)
      let retail = try ReferenceDataLoader().load(from: connection).retail
      #expect(retail.device(named: "alice")?.userID == "1")
      #expect(retail.device(named: "alice-old")?.isActive == false)
      #expect(retail.user(id: "1")?.callerNumber?.id == "11")
      #expect(retail.user(id: "2")?.isActive == false)
      // bob's primary number is released: his active number with the lowest id presents.
      #expect(retail.user(id: "2")?.callerNumber?.number == "15550000012")
      #expect(retail.owner(ofNumber: "15550000010")?.id == "1")
      #expect(retail.owner(ofNumber: "15550000013") == nil)
      // carol has no device with credentials: not a caller, not an on-net callee.
      #expect(retail.user(id: "3") == nil && retail.owner(ofNumber: "15550000014") == nil)
      #expect(retail.usernames(ofUser: "1") == ["alice"])
    }
  }

  @Test(arguments: PostgresCallRecordStore.Method.allCases)
  func theCallerIsWrittenAndADeletedUserLeavesNULL(_ method: PostgresCallRecordStore.Method) throws {
    try TestDatabase.with { database in
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: """
          INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active');
          INSERT INTO phone_numbers (id, user_id, number, is_primary) VALUES (8, 1, '15550001001', true);
          """)
      let store = try PostgresCallRecordStore(url: database.url, method: method)
      var known = Records.failed(1)
      (known.userID, known.phoneNumberID) = ("1", "8")
      var gone = Records.failed(2)
      (gone.userID, gone.phoneNumberID) = ("99", "98")
      #expect(try store.insert([known, gone]).inserted == 2)
      let rows = try connection.query(
        "SELECT user_id::text, phone_number_id::text FROM calls ORDER BY uuid = \(known.uuid) DESC")
      #expect(rows.string(0, 0) == "1" && rows.string(0, 1) == "8")
      #expect(rows.string(1, 0) == nil && rows.string(1, 1) == nil)
    }
  }
}
