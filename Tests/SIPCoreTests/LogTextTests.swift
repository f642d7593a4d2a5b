import Testing

@testable import SIPCore

@Suite struct LogTextTests {
  @Test func printableTextIsKept() {
    #expect(
      LogText.escaped("sip:+4420 7946 0000@example.net;user=phone")
        == "sip:+4420 7946 0000@example.net;user=phone")
    #expect(LogText.escaped("Zoë Ñandú 電話") == "Zoë Ñandú 電話")
    #expect(LogText.escaped(nil as String?) == "")
  }

  @Test func controlCharactersBecomeHexEscapes() {
    #expect(LogText.escaped("a\r\nb") == "a\\x0D\\x0Ab")
    #expect(LogText.escaped("\u{1B}[31mred") == "\\x1B[31mred")
    #expect(LogText.escaped("nul\u{0}del\u{7F}") == "nul\\x00del\\x7F")
    // A backslash is doubled, so an escape in the output always means a byte.
    #expect(LogText.escaped("a\\x41") == "a\\\\x41")
  }

  @Test func bytesThatAreNotUTF8BecomeHexEscapes() {
    #expect(LogText.escaped(bytes: [0x61, 0xFF, 0x62]) == "a\\xFFb")
    // Overlong form of "/" and a lone continuation byte.
    #expect(LogText.escaped(bytes: [0xC0, 0xAF, 0x80]) == "\\xC0\\xAF\\x80")
    // A truncated sequence at the end.
    #expect(LogText.escaped(bytes: [0x41, 0xE2, 0x82]) == "A\\xE2\\x82")
    // A UTF-16 surrogate encoded in UTF-8 is not UTF-8.
    #expect(LogText.escaped(bytes: [0xED, 0xA0, 0x80]) == "\\xED\\xA0\\x80")
    #expect(LogText.escaped(bytes: Array("€".utf8)) == "€")
  }

  @Test func invisibleFormattingAndTheReplacementCharacterAreShownAsBytes() {
    // Right-to-left override (a classic log-forging trick) and U+FFFD left by a decoder.
    #expect(LogText.escaped("a\u{202E}b") == "a\\xE2\\x80\\xAEb")
    #expect(LogText.escaped("x\u{FFFD}") == "x\\xEF\\xBF\\xBD")
    #expect(LogText.escaped("\u{85}") == "\\xC2\\x85")
  }

  @Test func longValuesAreCut() {
    let long = String(repeating: "7", count: 1000)
    #expect(LogText.escaped(long) == String(repeating: "7", count: LogText.defaultLimit) + "...")
    #expect(LogText.escaped("abcdef", limit: 3) == "abc...")
  }
}
