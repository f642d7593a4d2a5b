import SIPCore
import Testing

@testable import Proxy

/// The registrar's bindings beyond the process (docs/registrar.md "Bindings
/// that last"): accepted changes go to the `BindingStore` port with
/// wall-clock expiries, and bindings read back (a restart, another switch)
/// route calls to where the phone registered from.
@Suite struct RegistrarStorageFlowTests {
  typealias H = FlowHarness

  final class MemoryBindingStore: BindingStore {
    var changes: [BindingChange] = []
    func changed(_ change: BindingChange) { changes.append(change) }
  }

  static func harness() -> (FlowHarness, MemoryBindingStore) {
    let h = FlowHarness()
    let store = MemoryBindingStore()
    h.core.registrar = Registrar(configuration: RegistrarConfiguration(domains: ["example.com"]))
    h.core.registrar?.store = store
    return (h, store)
  }

  static func register(cseq: Int, contact: String) -> String {
    RegistrarFlowTests.register.replacingOccurrences(of: "CSeq: 1 REGISTER", with: "CSeq: \(cseq) REGISTER")
      .replacingOccurrences(of: "branch=z9hG4bK-reg-1", with: "branch=z9hG4bK-reg-c\(cseq)")
      .replacingOccurrences(
        of: "Contact: <sip:alice@10.0.0.5:5062;ob>;expires=300", with: "Contact: \(contact)")
  }

  static let phone = Endpoint(transport: .udp, host: "192.0.2.77", port: 40_123)

  @Test func anAcceptedRegisterSendsItsBindingWithAWallClockExpiry() throws {
    let (h, store) = Self.harness()
    h.deliver(RegistrarFlowTests.register, from: Self.phone)
    #expect(try RegistrarFlowTests.answer(h).statusCode == 200)
    #expect(
      store.changes == [
        BindingChange(
          addressOfRecord: "sip:alice@example.com",
          saved: [
            StoredBinding(
              contact: "sip:alice@10.0.0.5:5062;ob", expiresAtUnixMs: h.clock.unixMs + 300_000,
              qThousandths: nil,
              callID: "reg-1", cseq: 1, source: Self.phone)
          ], removed: [])
      ])
  }

  @Test func deregistrationAndWildcardSendRemovalsAndARefusalSendsNothing() throws {
    let (h, store) = Self.harness()
    h.deliver(Self.register(cseq: 1, contact: "<sip:a@10.0.0.5>, <sip:b@10.0.0.5>;q=0.5"), from: Self.phone)
    #expect(store.changes.last?.saved.map(\.contact) == ["sip:a@10.0.0.5", "sip:b@10.0.0.5"])
    #expect(store.changes.last?.saved.map(\.qThousandths) == [nil, 500])
    h.deliver(Self.register(cseq: 2, contact: "<sip:a@10.0.0.5>;expires=0"), from: Self.phone)
    #expect(
      store.changes.last
        == BindingChange(addressOfRecord: "sip:alice@example.com", saved: [], removed: ["sip:a@10.0.0.5"]))
    h.deliver(Self.register(cseq: 3, contact: "<sip:c@10.0.0.5>;expires=10"), from: Self.phone)
    #expect(try RegistrarFlowTests.answer(h).statusCode == 423)
    #expect(store.changes.count == 2)
    h.deliver(Self.register(cseq: 4, contact: "*\nExpires: 0"), from: Self.phone)
    #expect(try RegistrarFlowTests.answer(h).statusCode == 200)
    #expect(
      store.changes.last
        == BindingChange(addressOfRecord: "sip:alice@example.com", saved: [], removed: ["sip:b@10.0.0.5"]))
    #expect(h.core.registrar?.bindingCount == 0)
  }

  @Test func aQueryChangesNothingAndSendsNothing() throws {
    let (h, store) = Self.harness()
    h.deliver(
      RegistrarFlowTests.register.replacingOccurrences(
        of: "Contact: <sip:alice@10.0.0.5:5062;ob>;expires=300\n", with: ""))
    #expect(try RegistrarFlowTests.answer(h).statusCode == 200)
    #expect(store.changes.isEmpty)
  }

  /// A restarted switch: nothing registered in this process, the stored
  /// bindings loaded; the call goes to the stored source, over its transport.
  @Test func loadedBindingsRouteCallsAndExpire() throws {
    let (h, _) = Self.harness()
    let tcpPhone = Endpoint(transport: .tcp, host: "198.51.100.4", port: 51_000)
    h.core.loadBindings(
      [
        "sip:alice@example.com": [
          StoredBinding(
            contact: "sip:alice@10.0.0.5:5062;transport=tcp", expiresAtUnixMs: h.clock.unixMs + 60_000,
            qThousandths: nil, callID: "c", cseq: 7, source: tcpPhone),
          StoredBinding(
            contact: "sip:alice@10.0.0.6", expiresAtUnixMs: h.clock.unixMs - 1, qThousandths: nil,
            callID: "d",
            cseq: 1, source: Self.phone),
        ],
        "sip:carol@elsewhere.net": [
          StoredBinding(
            contact: "sip:carol@10.0.0.9", expiresAtUnixMs: h.clock.unixMs + 60_000, qThousandths: nil,
            callID: "e", cseq: 1, source: Self.phone)
        ],
      ], complete: true)
    #expect(h.core.registrar?.bindingCount == 1)
    h.deliver(RegistrarFlowTests.invite(to: "alice"))
    let forwarded = try #require(h.sender.take().last { $0.message.method == .invite })
    #expect(forwarded.destination == tcpPhone)
    #expect(forwarded.message.requestURIText == "sip:alice@10.0.0.5:5062;transport=tcp")
    h.advance(60_000)
    #expect(h.core.registrar?.bindingCount == 0)
  }

  /// This switch's own write read back (the NOTIFY of every write) keeps
  /// the binding's expiry as held and needs no second expiry timer.
  @Test func ownWritesReadBackKeepTheirExpiry() throws {
    let (h, store) = Self.harness()
    h.deliver(RegistrarFlowTests.register, from: Self.phone)
    let registrar = try #require(h.core.registrar)
    let before = registrar.lookup("sip:alice@example.com", nowMs: h.clock.monotonicMs)
    h.clock.advance(5)
    var saved = try #require(store.changes.last?.saved)
    saved[0].expiresAtUnixMs += 1  // milliseconds lost converting through the database
    #expect(
      registrar.replaceBindings(
        of: "sip:alice@example.com", with: saved, nowMs: h.clock.monotonicMs, unixNowMs: h.clock.unixMs
      ).isEmpty)
    #expect(registrar.lookup("sip:alice@example.com", nowMs: h.clock.monotonicMs) == before)
    // A refresh written by another switch (a new CSeq) is a new expiry.
    saved[0].cseq = 2
    #expect(
      registrar.replaceBindings(
        of: "sip:alice@example.com", with: saved, nowMs: h.clock.monotonicMs, unixNowMs: h.clock.unixMs
      ).count == 1)
  }

  @Test func aReadReplacesAnAddressOfRecordAndACompleteReadDropsTheMissing() throws {
    let (h, _) = Self.harness()
    h.deliver(RegistrarFlowTests.register, from: Self.phone)
    h.deliver(
      RegistrarFlowTests.register.replacingOccurrences(of: "alice", with: "bob").replacingOccurrences(
        of: "reg-1", with: "reg-2"), from: Self.phone)
    #expect(h.core.registrar?.bindingCount == 2)
    // Another switch removed alice's binding: an empty list for her.
    h.core.loadBindings(["sip:alice@example.com": []], complete: false)
    #expect(h.core.registrar?.lookup("sip:alice@example.com", nowMs: h.clock.monotonicMs).isEmpty == true)
    #expect(h.core.registrar?.lookup("sip:bob@example.com", nowMs: h.clock.monotonicMs).count == 1)
    h.core.loadBindings([:], complete: true)
    #expect(h.core.registrar?.bindingCount == 0)
  }
}
