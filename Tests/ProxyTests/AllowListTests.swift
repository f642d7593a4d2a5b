import SIPCore
import Testing

@testable import Proxy

/// One `Allow` list (`SIPMethod.allowed`) for every answer that carries one:
/// the proxy's own 200 to OPTIONS and the decoder's 501.
@Suite struct AllowListTests {
  typealias H = FlowHarness

  static let methods = [
    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "PRACK", "UPDATE", "INFO", "REFER", "NOTIFY", "MESSAGE",
  ]

  /// The methods listed in `text`'s Allow header fields, in order.
  static func allowed(_ text: String) -> [String] {
    text.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("allow:") }.flatMap { line in
      line.dropFirst("allow:".count).split(separator: ",").map { String($0.trimmingWhitespace()) }
    }
  }

  @Test func theListIsTheSwitchsMethods() {
    #expect(SIPMethod.allowed.map(\.description) == Self.methods)
    #expect(SIPMethod.allowHeaderValue == Self.methods.joined(separator: ", "))
  }

  @Test func optionsToTheSwitchListsThem() {
    let h = FlowHarness()
    h.deliver(
      H.invite(body: false).replacingOccurrences(of: "INVITE sip:service@", with: "OPTIONS sip:")
        .replacingOccurrences(of: "1 INVITE", with: "1 OPTIONS"))
    let sent = h.sender.take()
    #expect(sent.first?.message.statusCode == 200)
    #expect(Self.allowed(sent.first?.text ?? "") == Self.methods)
  }

  @Test func theDecoders501ListsThem() {
    let h = FlowHarness()
    // RFC 4475 §3.1.2.18: an unknown method whose CSeq names another.
    h.deliver(
      H.invite(body: false).replacingOccurrences(of: "INVITE sip:", with: "NEWMETHOD sip:"))
    let sent = h.sender.take()
    #expect(sent.first?.message.statusCode == 501)
    #expect(Self.allowed(sent.first?.text ?? "") == Self.methods)
  }
}
