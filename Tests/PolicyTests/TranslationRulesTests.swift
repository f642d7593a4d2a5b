import Testing

@testable import Policy

@Suite struct TranslationRulesTests {
  @Test(arguments: [nil, "", "   ", "\n\n", "# only a comment\n  # another", " ; ;; "] as [String?])
  func emptyListsAreNone(text: String?) throws {
    let rules = try TranslationRules(parsing: text)
    #expect(rules.isEmpty)
    #expect(rules.apply(to: "0123") == "0123")
  }

  @Test(
    arguments: [
      // Prefix form.
      ("prefix:00 strip:2", "00442079460000", "442079460000"),
      ("prefix:00 strip:2 add:+", "00442079460000", "+442079460000"),
      ("prefix:0 strip:1 add:44", "02079460000", "442079460000"),
      ("prefix:0 strip:1 add:44", "442079460000", "442079460000"),
      ("prefix: add:+", "15551234567", "+15551234567"),
      ("prefix:", "15551234567", "15551234567"),
      ("prefix:+ strip:1", "+15551234567", "15551234567"),
      ("prefix:*67 strip:3", "*6715551234567", "15551234567"),
      ("prefix:#31# strip:4 add:", "#31#0044123", "0044123"),
      ("prefix:12 strip:9", "1234", ""),
      ("  prefix:00   strip:2   add:+  ", "0015551234567", "+15551234567"),
      ("strip:2 prefix:00", "0015551234567", "15551234567"),
      // Regex form: search, first match.
      ("/^00/+/", "00442079460000", "+442079460000"),
      ("/00/+/", "4400123", "44+123"),
      ("/^0(\\d+)$/44$1/", "02079460000", "442079460000"),
      ("/^0(\\d+)$/44$1/", "0207946000x", "0207946000x"),
      ("/^(\\d{3})(\\d{3})(\\d+)$/$3$2$1/", "111222333", "333222111"),
      ("/^(?<cc>1)(?<rest>\\d+)$/+${cc}-${rest}/", "15551234", "+1-5551234"),
      ("/^(\\d)(\\d)(\\d)(\\d)(\\d)(\\d)(\\d)(\\d)(\\d)(\\d)$/${10}$9/", "1234567890", "09"),
      ("/^.*$/[$0]/", "123", "[123]"),
      ("/^1/$$/", "123", "$23"),
      ("/^1/\\$\\\\/", "123", "$\\23"),
      ("/0/9/g", "10203", "19293"),
      ("/0/9/", "10203", "19203"),
      ("/^\\+/00/", "+44", "0044"),
      ("/^sip\\/(\\d+)/$1/", "sip/123", "123"),
      ("/^A/b/i", "abc", "bbc"),
      ("/^A/b/", "abc", "abc"),
      ("/x;y/z/", "1x;y2", "1z2"),
      ("/^(1)?(2)$/[$1]/", "2", "[]"),
      ("/^$/anonymous/", "", "anonymous"),
    ] as [(String, String, String)])
  func oneRule(rule: String, number: String, expected: String) throws {
    let rules = try TranslationRules(parsing: rule)
    #expect(rules.rules.count == 1)
    #expect(rules.apply(to: number) == expected)
  }

  @Test(
    arguments: [
      // First match ends the list.
      ("prefix:00 strip:2\nprefix:44 add:9", "0044123", "44123"),
      // A rule that does not match passes on.
      ("prefix:9 strip:1\nprefix:00 strip:2", "0044123", "44123"),
      // continue (trailing word) and the c flag chain rules.
      ("prefix:00 strip:2 continue\nprefix:44 strip:2 add:0", "0044123", "0123"),
      ("/^00//c\n/^44/0/", "0044123", "0123"),
      ("/^00// continue ; /^44/0/", "0044123", "0123"),
      ("/^00//gc ;/^44/0/", "0044123", "0123"),
      // A continuing rule that does not match still passes on.
      ("prefix:9 strip:1 continue; prefix:00 strip:2", "0044123", "44123"),
      // The chain stops at the first non-continuing rule that matches.
      ("prefix:0 strip:1 continue; prefix:0 strip:1; prefix:4 strip:1", "0044123", "44123"),
      // `;` separates rules on one line; comments and blank lines are skipped.
      ("# strip international\r\n\n  prefix:00 strip:2 add:+ ;/^\\+1/1/", "001555", "+1555"),
      ("prefix:00 strip:2 add:+ continue;/^\\+1/1/", "001555", "1555"),
    ] as [(String, String, String)])
  func lists(text: String, number: String, expected: String) throws {
    #expect(try TranslationRules(parsing: text).apply(to: number) == expected)
  }

  @Test func keepsEachRuleSourceAndContinuation() throws {
    let rules = try TranslationRules(parsing: "  /^00/+/c ; prefix:0 strip:1 add:44 continue\n/^1//")
    #expect(rules.rules.map(\.source) == ["/^00/+/c", "prefix:0 strip:1 add:44 continue", "/^1//"])
    #expect(rules.rules.map(\.continues) == [true, true, false])
  }

  @Test(
    arguments: [
      ("/^(\\d+/x/", "rule 1: regex does not compile: /^(\\d+/: "),
      ("prefix:0 strip:1\n\n# c\n/[/x/", "rule 2 (line 4): regex does not compile: /[/: "),
      ("prefix:0 strip:1;/^(1)/$2/", "rule 2: replacement uses $2 but the pattern has 1 group"),
      ("/^1/$1/", "rule 1: replacement uses $1 but the pattern has 0 groups"),
      ("/^(?<a>1)/${b}/", "rule 1: replacement uses ${b} but the pattern has no group named 'b'"),
      ("/^1/$x/", "rule 1: '$' must be followed by a digit, {name} or '$' in the replacement"),
      ("/^1/1$/", "rule 1: '$' at the end of the replacement"),
      ("/^1/${1/", "rule 1: '${' without a closing '}' in the replacement"),
      ("/^1/1", "rule 1: regex rule has no closing '/' after the replacement"),
      ("/^1", "rule 1: regex rule is not closed"),
      ("/^1/1/x", "rule 1: unknown flag 'x' (c = continue, g = every match, i = ignore case)"),
      ("/^1/1/ again", "rule 1: unexpected text after the rule: 'again'"),
      ("//1/", "rule 1: empty regex pattern"),
      ("prefix:0x strip:1", "rule 1: prefix: '0x' may hold only digits, +, # and *"),
      ("prefix:0 add:44a", "rule 1: add: '44a' may hold only digits, +, # and *"),
      ("prefix:0 strip:x", "rule 1: strip: 'x' is not a number of characters (0-9999)"),
      ("prefix:0 strip:-1", "rule 1: strip: '-1' is not a number of characters (0-9999)"),
      ("prefix:0 strip:", "rule 1: strip: '' is not a number of characters (0-9999)"),
      ("prefix:0 prefix:1", "rule 1: 'prefix:' given twice"),
      ("prefix:0 strip:1 strip:2", "rule 1: 'strip:' given twice"),
      ("prefix:0 chop:1", "rule 1: unknown part 'chop:1' (prefix:, strip:, add:, continue)"),
      ("prefix:0 continue strip:1", "rule 1: 'continue' must be the last word, found 'strip:1' after it"),
      ("strip:1 add:4", "rule 1: a prefix rule needs 'prefix:'"),
      ("00 -> 44", "rule 1: not a rule '00 -> 44': expected /PATTERN/REPLACEMENT/FLAGS or prefix:DIGITS"),
    ] as [(String, String)])
  func refuses(text: String, message: String) {
    #expect {
      _ = try TranslationRules(parsing: text)
    } throws: { error in
      guard let error = error as? TranslationRuleError else { return false }
      return error.description.hasPrefix(message) && error.column == nil
    }
  }

  @Test func errorCarriesRuleAndLine() {
    #expect(throws: TranslationRuleError(rule: 3, line: 2, problem: "empty regex pattern")) {
      _ = try TranslationRules(parsing: "prefix:1; prefix:2\n//x/")
    }
    #expect(throws: TranslationRuleError(rule: 3, line: nil, problem: "empty regex pattern")) {
      _ = try TranslationRules(parsing: "prefix:1; prefix:2; //x/")
    }
    #expect(
      TranslationRuleError(column: "origin_translation", rule: 3, line: 2, problem: "p").description
        == "origin_translation: rule 3 (line 2): p")
    #expect(TranslationRuleError(rule: 2, line: 2, problem: "p").description == "rule 2: p")
  }

  @Test func escapedSlashesInPatternAndReplacement() throws {
    let rules = try TranslationRules(parsing: #"/^a\/b/c\/d/"#)
    #expect(rules.apply(to: "a/bz") == "c/dz")
  }

  @Test func rulesAreSendableAcrossTasks() async throws {
    let rules = try TranslationRules(parsing: "/^0(\\d+)$/44$1/")
    let results = await withTaskGroup(of: String.self) { group in
      for index in 0..<8 { group.addTask { rules.apply(to: "0\(index)") } }
      var all: [String] = []
      for await result in group { all.append(result) }
      return all.sorted()
    }
    #expect(results == (0..<8).map { "44\($0)" })
  }
}
