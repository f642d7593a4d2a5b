import Testing

@testable import Store

@Suite struct PGArrayTests {
  static let awkward: [String?] = ["plain", "", "a,b", "{x}", "quote\"d", "back\\slash", "NULL", nil, " sp "]

  @Test func elementsAreQuotedAndNullIsBare() {
    #expect(PGArray.literal(["a", nil, "b\"c\\d"]) == #"{"a",NULL,"b\"c\\d"}"#)
    #expect(PGArray.literal([String]()) == "{}")
  }

  @Test(.enabled(if: TestEnvironment.hasDatabase, "DIDTRON_TEST_DATABASE_URL is not set"))
  func postgresReadsEveryElementBack() throws {
    let connection = try PGConnection(url: TestEnvironment.databaseURL!)
    let result = try connection.query(
      PGQuery(
        unsafeSQL: "SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
        binds: [PGArray.literal(Self.awkward)]))
    #expect((0..<result.rowCount).map { result.string($0, 0) } == Self.awkward)
  }
}
