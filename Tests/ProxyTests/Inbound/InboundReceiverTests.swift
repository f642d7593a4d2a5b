import Proxy
import SIPCore
import Testing

/// The proxy's entrance for a message's bytes as the transport received them
/// (it used to be the daemon's `SwitchCore`): decoded messages reach the core,
/// refusals are answered and counted as malformed, the rest counted as dropped.
@Suite struct InboundReceiverTests {
  private typealias H = FlowHarness

  private func bytes(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
  }

  private func receive(_ receiver: InboundReceiver, _ bytes: [UInt8], from source: Endpoint = H.uac) {
    bytes.withUnsafeBytes { receiver.receive($0, from: source, local: H.proxyUDP) }
  }

  @Test func aWellFormedInviteReachesTheCore() throws {
    let h = FlowHarness()
    let receiver = InboundReceiver(proxy: h.core, decoder: InboundDecoder())
    receive(receiver, bytes(H.invite()))
    let sent = h.sender.take()
    #expect(sent.map(\.destination) == [H.uac, H.uas])
    #expect(sent[0].message.statusCode == 100)
    #expect(sent[1].message.method == .invite)
    #expect(h.core.counters.requestsReceived == 1)
    #expect(receiver.counters == InboundCounters())
  }

  @Test func aRefusedRequestIsAnsweredAtItsSourceAndCountedMalformed() throws {
    let h = FlowHarness()
    let receiver = InboundReceiver(proxy: h.core, decoder: InboundDecoder(serverHeader: "didtron-test"))
    // A datagram shorter than its Content-Length (RFC 3261 §18.3).
    let invite = H.invite().replacingOccurrences(of: "Content-Length: ", with: "Content-Length: 9")
    receive(receiver, bytes(invite))
    let sent = h.sender.take()
    #expect(sent.count == 1)
    #expect(sent.first?.destination == H.uac)
    #expect(sent.first?.message.statusCode == 400)
    #expect(sent.first?.text.contains("Server: didtron-test") == true)
    #expect(receiver.counters.malformed == 1)
    #expect(receiver.counters.dropped == 0)
    #expect(h.core.counters.requestsReceived == 0)
  }

  @Test func aKeepaliveIsDroppedUnanswered() {
    let h = FlowHarness()
    let receiver = InboundReceiver(proxy: h.core, decoder: InboundDecoder())
    receive(receiver, Array("\r\n\r\n".utf8))
    #expect(h.sender.take().isEmpty)
    #expect(receiver.counters.dropped == 1)
    #expect(receiver.counters.malformed == 0)
  }
}
