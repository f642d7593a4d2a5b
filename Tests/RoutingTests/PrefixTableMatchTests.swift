import Testing

@testable import Routing

@Suite struct PrefixTableMatchTests {
  private static let table = PrefixTable([
    ("", "default"), ("4", "world-4"), ("44", "uk"), ("49", "de"), ("4930", "berlin"), ("49301", "berlin-1"),
  ])

  /// Every prefix of the number in the table, longest first.
  @Test(arguments: [
    ("4930123", ["49301", "4930", "49", "4", ""]),
    ("4930", ["4930", "49", "4", ""]),
    ("493", ["49", "4", ""]),
    ("4412", ["44", "4", ""]),
    ("45", ["4", ""]),
    ("3312", [""]),
    ("", [""]),
  ])
  func visitsLongestFirst(number: String, prefixes: [String]) {
    var seen: [String] = []
    var values: [String] = []
    Self.table.forEachMatch(number) { prefix, value in
      seen.append(prefix())
      values.append(value)
      return true
    }
    #expect(seen == prefixes)
    #expect(values == prefixes.map { Self.table.longestMatch($0)!.value })
  }

  @Test(arguments: [1, 2, 3])
  func stopsWhenTold(visits: Int) {
    var seen: [String] = []
    Self.table.forEachMatch("4930123"[...]) { prefix, _ in
      seen.append(prefix())
      return seen.count < visits
    }
    #expect(seen == Array(["49301", "4930", "49"].prefix(visits)))
  }

  @Test func withoutADefault() {
    let table = PrefixTable([("1", 1), ("12", 2)])
    var seen: [Int] = []
    table.forEachMatch("3") { _, value in
      seen.append(value)
      return true
    }
    #expect(seen == [])
    table.forEachMatch("123") { _, value in
      seen.append(value)
      return true
    }
    #expect(seen == [2, 1])
  }
}
