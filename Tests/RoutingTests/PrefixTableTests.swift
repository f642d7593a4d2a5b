import Testing

@testable import Routing

@Suite struct PrefixTableTests {
  @Test func longestPrefixWins() throws {
    let table = PrefixTable([("4", "world-4"), ("49", "germany"), ("4930", "berlin"), ("44", "uk")])
    #expect(table.count == 4)
    #expect(table.longestMatch("4930123456")?.value == "berlin")
    #expect(table.longestMatch("4930123456")?.prefix == "4930")
    #expect(table.longestMatch("4989123")?.value == "germany")
    #expect(table.longestMatch("4412")?.value == "uk")
    #expect(table.longestMatch("45")?.value == "world-4")
    #expect(table.longestMatch("493")?.value == "germany")
    #expect(table.longestMatch("4930")?.value == "berlin")
  }

  @Test func noMatchIsNil() {
    let table = PrefixTable([("49", 1), ("44", 2)])
    #expect(table.longestMatch("3312345") == nil)
    #expect(table.longestMatch("") == nil)
    #expect(table.longestMatch("4") == nil)
    #expect(PrefixTable<Int>([]).longestMatch("49") == nil)
  }

  @Test func emptyPrefixIsTheDefault() {
    let table = PrefixTable([("", "default"), ("49", "germany")])
    #expect(table.longestMatch("3312345")?.value == "default")
    #expect(table.longestMatch("3312345")?.prefix == "")
    #expect(table.longestMatch("")?.value == "default")
    #expect(table.longestMatch("491")?.value == "germany")
  }

  @Test func duplicatesLastWins() {
    let table = PrefixTable([("49", "first"), ("1", "x"), ("49", "second"), ("44", "y"), ("49", "third")])
    #expect(table.count == 3)
    #expect(table.duplicateCount == 2)
    #expect(table.longestMatch("4930")?.value == "third")
  }

  @Test func bytesAreMatchedAsIs() {
    let table = PrefixTable([("49", 1), ("*12", 2)])
    #expect(table.longestMatch("+4930") == nil)
    #expect(table.longestMatch("*123")?.value == 2)
    #expect(table.longestMatch("4930"[...])?.value == 1)
  }

  @Test func unsortedInputMatchesAReferenceScan() {
    var generator = SplitMix64(seed: 7)
    var pairs: [(prefix: String, value: Int)] = []
    for index in 0..<5000 {
      let length = Int(generator.next() % 7) + 1
      pairs.append((digits(&generator, count: length), index))
    }
    let table = PrefixTable(pairs)
    var lastValue: [String: Int] = [:]
    for pair in pairs { lastValue[pair.prefix] = pair.value }
    #expect(table.count == lastValue.count)
    for _ in 0..<2000 {
      let number = digits(&generator, count: 10)
      let expected = (0...number.count).reversed().lazy
        .map { String(number.prefix($0)) }
        .first { lastValue[$0] != nil }
      let found = table.longestMatch(number)
      #expect(found?.prefix == expected)
      #expect(found?.value == expected.flatMap { lastValue[$0] })
    }
  }

  @Test func mixedBytesAndTheEmptyPrefixMatchAReferenceScan() {
    var generator = SplitMix64(seed: 11)
    let alphabet: [Character] = ["0", "1", "9", "*", "#", "+", "a", "\u{7F}", "ü", "€"]
    func word(_ count: Int) -> String {
      String((0..<count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }
    var pairs: [(prefix: String, value: Int)] = [("", -1)]
    for index in 0..<3000 { pairs.append((word(Int(generator.next() % 5)), index)) }
    let table = PrefixTable(pairs)
    var lastValue: [[UInt8]: (String, Int)] = [:]
    for pair in pairs { lastValue[Array(pair.prefix.utf8)] = pair }
    #expect(table.count == lastValue.count)
    for _ in 0..<2000 {
      let number = Array(word(Int(generator.next() % 7)).utf8)
      let expected = (0...number.count).reversed().lazy.compactMap { lastValue[Array(number.prefix($0))] }
        .first
      let found = table.longestMatch(String(decoding: number, as: UTF8.self))
      #expect(found?.prefix == expected?.0)
      #expect(found?.value == expected?.1)
    }
  }

  /// A million prefixes: numbering-plan-like, 2 to 9 digits, generated in
  /// ascending order the way the loader reads them (`ORDER BY prefix`).
  @Test func millionPrefixesBuildAndAnswer() {
    var pairs: [(prefix: String, value: Int)] = []
    pairs.reserveCapacity(1_000_000)
    // Every 6-digit block 100000...999999 (900,000) plus 100,000 longer ones.
    for block in 100_000...999_999 {
      let text = String(block)
      pairs.append((text, block))
      if block % 9 == 0 { pairs.append((text + "5", -block)) }
    }
    let table = PrefixTable(pairs)
    #expect(table.count == pairs.count)
    #expect(table.count >= 1_000_000)
    #expect(table.longestMatch("123456789")?.value == 123_456)
    #expect(table.longestMatch("12345353")?.prefix == "1234535")
    #expect(table.longestMatch("99999955")?.value == -999_999)
    #expect(table.longestMatch("1000004")?.value == 100_000)
    #expect(table.longestMatch("09999") == nil)
    #expect(table.longestMatch("10000") == nil)
  }

  /// 100,000 prefixes in shuffled order: the sort path.
  @Test func shuffledTableBuildsAndAnswers() {
    var generator = SplitMix64(seed: 42)
    var pairs: [(prefix: String, value: Int)] = (0..<100_000).map { ("\(1_000_000 + $0 * 3)", $0) }
    pairs.shuffle(using: &generator)
    let table = PrefixTable(pairs)
    #expect(table.count == 100_000)
    #expect(table.duplicateCount == 0)
    #expect(table.longestMatch("100000312")?.value == 1)
    #expect(table.longestMatch("1299997999")?.value == 99_999)
    #expect(table.longestMatch("1000001") == nil)
  }

  private func digits(_ generator: inout SplitMix64, count: Int) -> String {
    String((0..<count).map { _ in Character(String(generator.next() % 10)) })
  }
}
