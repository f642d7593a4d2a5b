import Foundation
import SIPCore
import Testing

@testable import Store

/// `registrar_bindings` (Migration 0018) through `RegistrationStore`:
/// upserts, reads of live rows only, de-registration, expiry, the device a
/// binding belongs to, `last_seen_at` once a minute, and the NOTIFY.
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct RegistrationStoreTests {
  static let aor = "sip:alice@example.com"
  static let source = Endpoint(transport: .tcp, host: "2001:db8::7", port: 40_123)

  static func row(_ contact: String, expiresInMs: Int64 = 300_000, cseq: UInt32 = 1, node: String = "a")
    -> RegistrationRow
  {
    RegistrationRow(
      addressOfRecord: aor, contact: contact, expiresAtUnixMs: nowUnixMs + expiresInMs, qThousandths: 500,
      callID: "reg-1", cseq: cseq, source: source, nodeID: node)
  }

  static let nowUnixMs = Int64(Date().timeIntervalSince1970 * 1000)

  static func seedDevice(_ database: TestDatabase) throws {
    try PGConnection(url: database.url).execute(
      script: """
        INSERT INTO users (id, email, status) VALUES (1, 'alice@example.com', 'active');
        INSERT INTO device_registrations (id, user_id, device_id, device_type, sip_username, sip_password)
        VALUES (7, 1, 'phone', 'android', 'alice', 's3cret');
        """)
  }

  @Test func writtenBindingsReadBackAndRefreshInPlace() throws {
    try TestDatabase.with { database in
      try Self.seedDevice(database)
      let store = try RegistrationStore(url: database.url)
      try store.apply(
        RegistrationWrite(
          addressOfRecord: Self.aor, saved: [Self.row("sip:a@10.0.0.5"), Self.row("sip:b@h")], removed: []))
      var read = try store.load()
      #expect(read[Self.aor]?.map(\.contact) == ["sip:a@10.0.0.5", "sip:b@h"])
      let first = try #require(read[Self.aor]?.first)
      #expect(first.source == Self.source)
      #expect(first.qThousandths == 500)
      #expect(first.callID == "reg-1")
      #expect(abs(first.expiresAtUnixMs - (Self.nowUnixMs + 300_000)) <= 1)
      // A refresh updates the row (from another node now).
      try store.apply(
        RegistrationWrite(
          addressOfRecord: Self.aor,
          saved: [Self.row("sip:a@10.0.0.5", expiresInMs: 600_000, cseq: 2, node: "b")],
          removed: []))
      read = try store.load(addressesOfRecord: [Self.aor, "sip:nobody@example.com"])
      #expect(read.keys.sorted() == [Self.aor])
      #expect(read[Self.aor]?.first?.cseq == 2)
      #expect(read[Self.aor]?.first?.nodeID == "b")
      #expect(try database.count("registrar_bindings") == 2)
      #expect(
        try database.scalar("SELECT device_registration_id || '/' || user_id FROM registrar_bindings LIMIT 1")
          == "7/1")
    }
  }

  @Test func deregistrationDeletesAndExpiredRowsAreNotReadThenDeleted() throws {
    try TestDatabase.with { database in
      let store = try RegistrationStore(url: database.url)
      try store.apply(
        RegistrationWrite(
          addressOfRecord: Self.aor,
          saved: [Self.row("sip:a@h"), Self.row("sip:old@h", expiresInMs: -5_000)],
          removed: []))
      #expect(try store.load()[Self.aor]?.map(\.contact) == ["sip:a@h"])
      #expect(try store.deleteExpired() == 1)
      try store.apply(RegistrationWrite(addressOfRecord: Self.aor, saved: [], removed: ["sip:a@h"]))
      #expect(try store.load().isEmpty)
      #expect(try database.count("registrar_bindings") == 0)
      // No device of that name: the row is kept without one.
      #expect(try database.count("device_registrations") == 0)
    }
  }

  @Test func lastSeenAtIsSetAtMostOnceAMinute() throws {
    try TestDatabase.with { database in
      try Self.seedDevice(database)
      let store = try RegistrationStore(url: database.url)
      #expect(try store.touchDevices(usernames: ["alice", "nobody"]) == 1)
      #expect(try store.touchDevices(usernames: ["alice"]) == 0)
      #expect(try database.scalar("SELECT last_seen_at IS NOT NULL FROM device_registrations") == "t")
      try PGConnection(url: database.url).execute(
        script: "UPDATE device_registrations SET last_seen_at = now() - interval '61 seconds'")
      #expect(try store.touchDevices(usernames: ["alice"]) == 1)
    }
  }

  @Test func aChangeNotifiesItsAddressOfRecordAndABadRowIsRefused() throws {
    try TestDatabase.with { database in
      let listener = try PGConnection(url: database.url)
      try listener.listen(RegistrationStore.channel)
      let store = try RegistrationStore(url: database.url)
      try store.apply(RegistrationWrite(addressOfRecord: Self.aor, saved: [Self.row("sip:a@h")], removed: []))
      let notes = try listener.waitForNotifications(timeoutMs: 2_000)
      #expect(notes.map(\.payload) == [Self.aor])
      var bad = Self.row("sip:a@h")
      bad.addressOfRecord = String(repeating: "x", count: 3_000)
      #expect(throws: PGError.self) {
        try store.apply(RegistrationWrite(addressOfRecord: bad.addressOfRecord, saved: [bad], removed: []))
      }
      // A batch is all or none: the good change with the bad one is not kept.
      #expect(throws: PGError.self) {
        try store.apply([
          RegistrationWrite(addressOfRecord: Self.aor, saved: [Self.row("sip:b@h")], removed: []),
          RegistrationWrite(addressOfRecord: bad.addressOfRecord, saved: [bad], removed: []),
        ])
      }
      #expect(try database.count("registrar_bindings") == 1)
      try store.apply([
        RegistrationWrite(addressOfRecord: Self.aor, saved: [Self.row("sip:b@h")], removed: []),
        RegistrationWrite(addressOfRecord: Self.aor, saved: [], removed: ["sip:a@h"]),
      ])
      #expect(try store.load()[Self.aor]?.map(\.contact) == ["sip:b@h"])
    }
  }
}
