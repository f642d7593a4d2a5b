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
