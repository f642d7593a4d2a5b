import Testing

@testable import Store

@Suite struct PGQueryTests {
  @Test func interpolationBecomesBinds() {
    let code = "X'); DROP TABLE carriers; --"
    let limit: Int? = nil
    let query: PGQuery =
      "SELECT id FROM carriers WHERE code = \(code) AND capacity_limit = \(limit) AND circular_routing = \(true)"
    #expect(
      query.sql == "SELECT id FROM carriers WHERE code = $1 AND capacity_limit = $2 AND circular_routing = $3"
    )
    #expect(query.binds == [code, nil, "t"])
  }

  @Test func identifiersAreQuoted() {
    #expect(quotedIdentifier("didtron_reload") == "\"didtron_reload\"")
    #expect(quotedIdentifier("a\"b") == "\"a\"\"b\"")
  }
}
