import Glibc
import Policy
import Routing
import SIPCore
import Testing

@testable import Store

/// The loader against the real schema with etc/demo-data.sql in it.
@Suite(.enabled(if: TestEnvironment.hasDatabase, "needs DIDTRON_TEST_DATABASE_URL"))
struct ReferenceDataLoaderTests {
  static func loadDemo(into database: TestDatabase) throws {
    let connection = try PGConnection(url: database.url)
    let path = TestEnvironment.packageRoot + "/etc/demo-data.sql"
    guard let file = fopen(path, "r") else { throw PGError(message: "cannot open \(path)") }
    defer { fclose(file) }
    var script = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = fread(&chunk, 1, chunk.count, file)
      if count <= 0 { break }
      script += chunk[0..<count]
    }
    try connection.execute(script: String(decoding: script, as: UTF8.self))
  }

  @Test func loadsTheDemoCarriersInterconnectsServicesAndPlan() throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let data = try ReferenceDataLoader().load(from: PGConnection(url: database.url))
      #expect(data.carriers.map(\.code).sorted() == ["DEMO-CUSTOMER", "DEMO-SUPPLIER"])
      let ingress = try #require(data.interconnects.first { $0.id == "00000000-0000-4000-8000-000000000011" })
      #expect(ingress.direction == .ingress)
      #expect(ingress.addresses.count == 1)
      let egress = try #require(data.interconnects.first { $0.id == "00000000-0000-4000-8000-000000000013" })
      #expect(egress.egressEndpoint == Endpoint(transport: .udp, host: "127.0.0.1", port: 5082))
      #expect(data.services.count == 3)
      let plan = try #require(data.routingPlans.first)
      #expect(plan.code == "DEMO")
      #expect(
        plan.lookup(destination: "15551234")?.routes.map(\.carrierServiceID) == [
          "00000000-0000-4000-8000-000000000032", "00000000-0000-4000-8000-000000000033",
        ])
      #expect(
        plan.lookup(destination: "4420")?.routes.map(\.carrierServiceID) == [
          "00000000-0000-4000-8000-000000000033"
        ])
      #expect(plan.lookup(destination: "3312")?.prefix == "")
    }
  }

  /// Migration 0024: an interconnect reached (and identified) over TLS.
  @Test func anInterconnectMayUseTLS() throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      try connection.query(
        """
        UPDATE carrier_interconnects SET transport = 'tls', sip_port = 5061, tls_server_name = 'sip.supplier.test',
          tls_client_fingerprint_sha256 = 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd',
          tls_fingerprint_sha256 = 'abababababababababababababababababababababababababababababababab'
        WHERE id = '00000000-0000-4000-8000-000000000013'
        """)
      let data = try ReferenceDataLoader().load(from: connection)
      let egress = try #require(data.interconnects.first { $0.id == "00000000-0000-4000-8000-000000000013" })
      #expect(egress.egressEndpoint == Endpoint(transport: .tls, host: "127.0.0.1", port: 5061))
      #expect(egress.tlsServerName == "sip.supplier.test")
      #expect(egress.tlsFingerprintSHA256 == String(repeating: "ab", count: 32))
      #expect(egress.tlsClientFingerprintSHA256 == String(repeating: "cd", count: 32))
      #expect(throws: PGError.self) {
        try connection.query(
          "UPDATE carrier_interconnects SET tls_fingerprint_sha256 = 'AB:CD' WHERE id = '00000000-0000-4000-8000-000000000013'"
        )
      }
      #expect(throws: PGError.self) {
        try connection.query(
          "UPDATE carrier_interconnects SET transport = 'sctp' WHERE id = '00000000-0000-4000-8000-000000000013'"
        )
      }
    }
  }

  @Test func aBadAddressFailsTheLoadAndNamesTheRow() throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      try connection.query(
        "UPDATE interconnect_ip_addresses SET ip_address = 'not-an-ip' WHERE id = '00000000-0000-4000-8000-000000000021'"
      )
      #expect {
        try ReferenceDataLoader().load(from: connection)
      } throws: { error in
        "\(error)".contains("interconnect_ip_addresses row 00000000-0000-4000-8000-000000000021")
      }
      // The failed load left no transaction open: the connection still works.
      #expect(try connection.query("SELECT 1").string(0, 0) == "1")
    }
  }

  @Test func readsTheOptionsProbeColumnsOfMigration0023() throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      let egressID = "00000000-0000-4000-8000-000000000013"
      var data = try ReferenceDataLoader().load(from: connection)
      let before = try #require(data.interconnects.first { $0.id == egressID })
      #expect(!before.optionsProbe && before.optionsProbeIntervalSeconds == nil)
      try connection.query(
        "UPDATE carrier_interconnects SET options_probe = true, options_probe_interval_seconds = 15 WHERE id = \(egressID)"
      )
      data = try ReferenceDataLoader().load(from: connection)
      let after = try #require(data.interconnects.first { $0.id == egressID })
      #expect(after.optionsProbe && after.optionsProbeIntervalSeconds == 15)
      let targets = ProbeTarget.targets(data.interconnects, defaultIntervalMs: 30_000)
      #expect(targets.map(\.interconnectID) == [egressID])
      #expect(targets.first?.intervalMs == 15_000)
    }
  }

  static let customerInterconnect = "00000000-0000-4000-8000-000000000011"

  @Test func loadsEachInterconnectsSettings() throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      let ic = Self.customerInterconnect
      try connection.execute(
        script: """
          INSERT INTO interconnect_validation_settings (interconnect_id, tech_prefix, from_uri, trunk_group,
            max_cps, max_cps_enabled, max_cps_burst, test_system_control)
            VALUES ('\(ic)', '55', '^sip:\\+1', 'TG1', 20, true, 40, 'block');
          INSERT INTO interconnect_translation_settings (interconnect_id, origination_preference,
            origination_validation, set_pai_header, destination_translation)
            VALUES ('\(ic)', 'pai,from', 'replace:15550000', 'add', '/^0(\\d+)$/44$1/');
          INSERT INTO interconnect_codecs (interconnect_id, codec_name, display_order, ptime)
            VALUES ('\(ic)', 'G729', 2, 20), ('\(ic)', 'PCMA', 1, NULL);
          INSERT INTO interconnect_signalling_settings (interconnect_id, privacy_method, max_call_duration,
            max_call_duration_enabled, early_media_enabled, rel100_enabled, release_cause_mapping)
            VALUES ('\(ic)', 'none', 7200, true, false, true, '{"503": 486}');
          INSERT INTO interconnect_media_settings (interconnect_id, dtmf_detection, media_relay, rtp_timeout,
            rtp_timeout_enabled) VALUES ('\(ic)', 'rfc2833', 'off', 30, true);
          UPDATE carrier_services SET max_cps = 5, max_cps_enabled = true
            WHERE id = '00000000-0000-4000-8000-000000000031';
          """)
      let data = try ReferenceDataLoader().load(from: connection)
      let policy = try #require(data.policies[ic])
      #expect(policy.callRate == CallRateLimit(rate: 20, burst: 40))
      #expect(policy.validation?.testSystemControl == .block)
      #expect(data.interconnects.first { $0.id == ic }?.techPrefix == "55")
      #expect(policy.translation.translateCalled("0207") == "44207")
      #expect(policy.translation.setPAI == .add)
      #expect(policy.codecs.rules.map(\.name) == ["PCMA", "G729"])
      #expect(policy.signalling.maxCallDurationSeconds == 7200)
      #expect(!policy.signalling.earlyMedia)
      #expect(policy.signalling.releaseCauses.map(503).status == 486)
      #expect(policy.privacyMethod == .none)
      #expect(policy.media == MediaSettings(dtmfDetection: .rfc2833, relay: .off, rtpTimeoutSeconds: 30))
      #expect(data.services.first { $0.id == "00000000-0000-4000-8000-000000000031" }?.callRate?.rate == 5)
      #expect(data.policies.count == 1)
    }
  }

  @Test(arguments: [
    (
      "INSERT INTO interconnect_translation_settings (id, interconnect_id, destination_translation) "
        + "VALUES ('00000000-0000-4000-8000-0000000000a1', '\(customerInterconnect)', '/^(12/x/')",
      "interconnect_translation_settings row 00000000-0000-4000-8000-0000000000a1"
    ),
    (
      "INSERT INTO interconnect_signalling_settings (id, interconnect_id, release_cause_mapping) "
        + "VALUES ('00000000-0000-4000-8000-0000000000a2', '\(customerInterconnect)', '{\"200\": 486}')",
      "interconnect_signalling_settings row 00000000-0000-4000-8000-0000000000a2"
    ),
    (
      "INSERT INTO interconnect_validation_settings (id, interconnect_id, from_uri) "
        + "VALUES ('00000000-0000-4000-8000-0000000000a3', '\(customerInterconnect)', '[unclosed')",
      "interconnect_validation_settings row 00000000-0000-4000-8000-0000000000a3"
    ),
    // Values the schema refuses, had its checks been dropped: the loader refuses them too.
    (
      "ALTER TABLE interconnect_signalling_settings DROP CONSTRAINT "
        + "interconnect_signalling_settings_privacy_method_check; "
        + "INSERT INTO interconnect_signalling_settings (id, interconnect_id, privacy_method) "
        + "VALUES ('00000000-0000-4000-8000-0000000000a4', '\(customerInterconnect)', 'trusted')",
      "interconnect_signalling_settings row 00000000-0000-4000-8000-0000000000a4: privacy_method has an unknown value"
    ),
    (
      "ALTER TABLE interconnect_validation_settings DROP CONSTRAINT interconnect_validation_settings_max_cps_check; "
        + "INSERT INTO interconnect_validation_settings (id, interconnect_id, max_cps, max_cps_enabled) "
        + "VALUES ('00000000-0000-4000-8000-0000000000a5', '\(customerInterconnect)', -5, true)",
      "interconnect_validation_settings row 00000000-0000-4000-8000-0000000000a5: max_cps must be positive"
    ),
  ])
  func aBadSettingsRowFailsTheLoadAndNamesTheRow(sql: String, message: String) throws {
    try Self.expectLoadFails(afterRunning: sql, naming: message)
  }

  /// The demo data changed by `sql` must fail to load with a
  /// `ReferenceDataError` whose text contains `message`, and leave the
  /// connection usable.
  static func expectLoadFails(
    afterRunning sql: String, naming message: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try TestDatabase.with { database in
      try loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      try connection.execute(script: sql)
      #expect(sourceLocation: sourceLocation) {
        try ReferenceDataLoader().load(from: connection)
      } throws: { error in
        error is ReferenceDataError && "\(error)".contains(message)
      }
      // The failed load left no transaction (and no cursor) open.
      #expect(try connection.query("SELECT 1").string(0, 0) == "1", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [
    "INSERT INTO interconnect_validation_settings (interconnect_id, test_system_control) VALUES ('\(customerInterconnect)', 'sometimes')",
    "INSERT INTO interconnect_validation_settings (interconnect_id, max_cps) VALUES ('\(customerInterconnect)', -1)",
    "INSERT INTO interconnect_translation_settings (interconnect_id, set_pai_header) VALUES ('\(customerInterconnect)', 'maybe')",
    "INSERT INTO interconnect_codecs (interconnect_id, codec_name, ptime) VALUES ('\(customerInterconnect)', 'PCMA', 7)",
    "INSERT INTO interconnect_signalling_settings (interconnect_id, session_timer_interval) VALUES ('\(customerInterconnect)', 30)",
    "INSERT INTO interconnect_signalling_settings (interconnect_id, release_cause_mapping) VALUES ('\(customerInterconnect)', '[1]')",
    "INSERT INTO interconnect_media_settings (interconnect_id, media_relay) VALUES ('\(customerInterconnect)', 'sometimes')",
    "UPDATE carrier_services SET max_cps_enabled = true",
  ])
  func theSchemaRefusesUnknownValuesAndNegativeLimits(sql: String) throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      #expect(throws: PGError.self) { try connection.execute(script: sql) }
    }
  }

  @Test func entriesStreamThroughTheCursorInSmallBatches() throws {
    try TestDatabase.with { database in
      try Self.loadDemo(into: database)
      let connection = try PGConnection(url: database.url)
      try connection.execute(
        script: """
          INSERT INTO routing_plan_entries (routing_plan_id, prefix)
          SELECT '00000000-0000-4000-8000-000000000041', (1000 + g)::text FROM generate_series(1, 250) g;
          INSERT INTO routing_plan_entry_services (routing_plan_entry_id, carrier_service_id)
          SELECT id, '00000000-0000-4000-8000-000000000033' FROM routing_plan_entries WHERE prefix LIKE '1___';
          """)
      var loader = ReferenceDataLoader()
      loader.batchSize = 7
      let plan = try #require(try loader.load(from: connection).routingPlans.first)
      #expect(plan.entries.count == 253)
      #expect(plan.lookup(destination: "11779")?.prefix == "1177")
      #expect(plan.lookup(destination: "11779")?.routes.count == 1)
    }
  }
}
