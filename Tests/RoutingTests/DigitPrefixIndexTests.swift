import Testing

@testable import Routing

/// The digit index must give exactly what the byte-wise search gives: the
/// same table with one non-digit prefix added takes the search path, and
/// both are compared with a brute-force longest match.
@Suite struct DigitPrefixIndexTests {
  static func bruteForce(_ prefixes: Set<String>, _ number: String) -> String? {
    prefixes.filter { number.hasPrefix($0) }.max { $0.count < $1.count }
  }

  @Test(arguments: [UInt64(1), 2, 3])
  func agreesWithBruteForceOnRandomPlans(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    var prefixes = Set<String>()
    for _ in 0..<3000 {
      let length = Int.random(in: 1...9, using: &random)
      prefixes.insert(
        String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &random))) }))
    }
    if seed == 2 { prefixes.insert("") }
    let indexed = PrefixTable(prefixes.map { (prefix: $0, value: $0) })
    let searched = PrefixTable(prefixes.map { (prefix: $0, value: $0) } + [(prefix: "#9", value: "#9")])
    for _ in 0..<5000 {
      let length = Int.random(in: 0...14, using: &random)
      let number = String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
      let expected = Self.bruteForce(prefixes, number)
      #expect(indexed.longestMatch(number)?.prefix == expected, "\(number)")
      #expect(searched.longestMatch(number)?.prefix == expected, "\(number)")
      var all: [String] = []
      indexed.forEachMatch(number) { prefix, _ in
        all.append(prefix())
        return true
      }
      #expect(all == prefixes.filter { number.hasPrefix($0) }.sorted { $0.count > $1.count }, "\(number)")
    }
  }

  @Test func numbersWithNonDigitsMatchOnlyTheirLeadingDigits() {
    let table = PrefixTable([(prefix: "49", value: 1), (prefix: "4930", value: 2), (prefix: "", value: 0)])
    #expect(table.longestMatch("49#30")?.value == 1)
    #expect(table.longestMatch("+4930")?.value == 0)
    #expect(table.longestMatch("4930;tgrp=1")?.value == 2)
  }

  @Test func prefixesLongerThanTheIndexTakesStillMatch() {
    let long = String(repeating: "1", count: 20)
    let table = PrefixTable([(prefix: long, value: 1), (prefix: "11", value: 2)])
    #expect(table.longestMatch(long + "5")?.value == 1)
    #expect(table.longestMatch("1115")?.value == 2)
  }
}
