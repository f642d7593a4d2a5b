import Testing

@testable import SIPCore

/// Max-Forwards read from its bytes reads what the String parse read.
@Suite struct MaxForwardsValueTests {
  static func old(_ text: String) -> Int? {
    guard let number = Int(text.trimmingWhitespace()), (0...255).contains(number) else { return nil }
    return number
  }

  @Test(arguments: [
    "70", "0", "255", "256", " 70", "70 ", "\t7\t", "+5", "-0", "-1", "+", "-", "", " ", "7 0", "07",
    "0000000000000000000000070", "99999999999999999999999", "1e2", "0x10", "70\r", "\r70", "١٢",
    "+-1", "--0", "300", "25 5",
  ])
  func readsAsTheStringParseDid(_ text: String) {
    let parsed = text.withCString { MaxForwardsValue.parse($0) }
    #expect(parsed == Self.old(text), "\(text.debugDescription)")
  }
}
